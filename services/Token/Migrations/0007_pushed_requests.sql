-- Pushed authorization requests (RFC 9126), kept under the SHA-256 of their request_uri. The URI
-- must reach the authorization endpoint before expires_at; its first use there claims the request
-- for as long as a sign-in may take (claimed_until), and the code issued for it spends it (used_at).
CREATE TABLE pushed_authorization_request (
    request_hash bytea PRIMARY KEY,
    client_id text NOT NULL,
    parameters jsonb NOT NULL,
    -- The parameters came in a request object the client signed (RFC 9101).
    signed boolean NOT NULL DEFAULT false,
    expires_at timestamptz NOT NULL,
    claimed_until timestamptz,
    used_at timestamptz
);
CREATE INDEX pushed_authorization_request_expires ON pushed_authorization_request (expires_at);
