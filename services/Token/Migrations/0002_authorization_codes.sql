-- Authorization codes: 256-bit random values stored only as SHA-256, single use, 60 s life,
-- bound to client, user, redirect URI, scopes, PKCE challenge and the sign-in they came from.
CREATE TABLE authorization_code (
    code_hash             bytea       PRIMARY KEY,
    client_id             text        NOT NULL,
    user_sys_id           char(32)    NOT NULL,
    redirect_uri          text        NOT NULL,
    redirect_uri_sent     boolean     NOT NULL,
    scopes                text[]      NOT NULL,
    code_challenge        text,
    code_challenge_method text,
    session_id            text,
    auth_time             timestamptz,
    amr                   text[]      NOT NULL DEFAULT '{}',
    nonce                 text,
    acr                   text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    expires_at            timestamptz NOT NULL,
    redeemed_at           timestamptz
);
CREATE INDEX authorization_code_expires_at ON authorization_code (expires_at);

-- Which code an access token came from: a replayed code revokes everything its first use issued.
ALTER TABLE issued_token ADD COLUMN code_hash bytea;
CREATE INDEX issued_token_code_hash ON issued_token (code_hash) WHERE code_hash IS NOT NULL;
