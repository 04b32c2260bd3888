-- Signing keys: private keys encrypted (AES-256-GCM) with the key-encryption key, which lives
-- in an AppHost secret parameter, never beside them. A key is published (JWKS) from creation,
-- signs from activates_at, stops signing at retires_at and leaves the JWKS at expires_at, once
-- every token it signed has expired.
CREATE TABLE signing_key (
    kid          text        PRIMARY KEY,
    alg          text        NOT NULL,
    private_key  bytea       NOT NULL,
    public_jwk   jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    activates_at timestamptz NOT NULL,
    retires_at   timestamptz,
    expires_at   timestamptz
);

-- Every access token issued, by id (never the token itself).
CREATE TABLE issued_token (
    jti        text        PRIMARY KEY,
    client_id  text        NOT NULL,
    subject    text        NOT NULL,
    scope      text        NOT NULL,
    grant_type text        NOT NULL,
    issued_at  timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX issued_token_expires_at ON issued_token (expires_at);

-- Revoked access tokens until they would have expired anyway.
CREATE TABLE revoked_token (
    jti        text        PRIMARY KEY,
    client_id  text        NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_token_expires_at ON revoked_token (expires_at);
