-- Failed passwords per typed user name, whether or not such a user exists, so a wrong password for
-- a real account and any password for an unknown name cost the same write. The key is an HMAC of
-- the lowercased name (a password typed into the user-name field is never stored).
CREATE TABLE login_failure (
    name_key       bytea       PRIMARY KEY,
    failures       integer     NOT NULL,
    window_started timestamptz NOT NULL,
    locked_until   timestamptz
);
CREATE INDEX login_failure_window_started ON login_failure (window_started);
