-- Sign-in sessions: the browser holds a random 256-bit value, the table only its SHA-256.
-- sid is the session's public identifier (OpenID Connect "sid").
CREATE TABLE login_session (
    id_hash     bytea       PRIMARY KEY,
    sid         text        NOT NULL UNIQUE,
    user_sys_id char(32)    NOT NULL,
    auth_time   timestamptz NOT NULL,
    amr         text[]      NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX login_session_user ON login_session (user_sys_id);

-- Remembered consents: the scopes a user approved for a client.
CREATE TABLE consent (
    user_sys_id char(32)    NOT NULL,
    client_id   text        NOT NULL,
    scopes      text[]      NOT NULL,
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_sys_id, client_id)
);

-- Authorization requests waiting for sign-in or consent, resumed by their id (never by a URL
-- taken from the request).
CREATE TABLE pending_authorization (
    id              text        PRIMARY KEY,
    client_id       text        NOT NULL,
    request         jsonb       NOT NULL,
    login_done_at   timestamptz,
    consent_done    boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);
CREATE INDEX pending_authorization_expires_at ON pending_authorization (expires_at);

-- ASP.NET Core Data Protection keys (antiforgery), shared by every replica, encrypted at rest.
CREATE TABLE data_protection_key (
    name text PRIMARY KEY,
    xml  text NOT NULL
);
