-- Trusted external identity providers (third-party ID token flow and token exchange).
CREATE TABLE trust (
    id             uuid        PRIMARY KEY,
    name           text        NOT NULL UNIQUE,
    template       text        NOT NULL,
    issuer         text        NOT NULL UNIQUE,
    metadata_url   text        NOT NULL,
    client_ids     text[]      NOT NULL,
    user_claim     text        NOT NULL,
    user_field     text        NOT NULL,
    algorithms     text[]      NOT NULL,
    clock_skew     integer     NOT NULL,
    jti_check      boolean     NOT NULL,
    auto_provision boolean     NOT NULL,
    scopes         text[]      NOT NULL,
    active         boolean     NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- One-time jti per trust (when the trust asks for it), kept until the token expires.
CREATE TABLE used_jti (
    trust_id   uuid        NOT NULL REFERENCES trust (id) ON DELETE CASCADE,
    jti        text        NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (trust_id, jti)
);
CREATE INDEX used_jti_expiry ON used_jti (expires_at);

-- External tokens already accepted (SHA-256 of the token): the acceptance is audited once per token.
CREATE TABLE accepted_token (
    token_hash bytea       PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX accepted_token_expiry ON accepted_token (expires_at);
