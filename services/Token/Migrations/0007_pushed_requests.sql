-- Pushed authorization requests (RFC 9126): kept under the SHA-256 of their request_uri, for the
-- authorization endpoint to read until a code is issued for them (used_at) or they expire.
CREATE TABLE pushed_authorization_request (
    request_hash bytea PRIMARY KEY,
    client_id text NOT NULL,
    parameters jsonb NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX pushed_authorization_request_expires ON pushed_authorization_request (expires_at);
