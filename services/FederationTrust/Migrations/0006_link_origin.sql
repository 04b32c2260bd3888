-- How a subject's link was made: 'token' (an API token or token exchange named the user by its claim)
-- or 'sign_in' (a sign-in on the login page, which never takes an existing account by a mutable claim).
-- A sign-in honours only its own links: a token-made link may be an address another tenant claimed.
ALTER TABLE subject_link ADD COLUMN linked_by text NOT NULL DEFAULT 'token';
