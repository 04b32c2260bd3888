-- How a subject's link was made: 'token' (an API token or token exchange named an existing user by its
-- claim), 'sign_in' (a sign-in on the login page, which never takes an existing account by a mutable
-- claim) or 'created' (the user was created for the subject). A sign-in follows only the last two: a
-- token-made link may be an address another tenant claimed.
ALTER TABLE subject_link ADD COLUMN linked_by text NOT NULL DEFAULT 'token';
