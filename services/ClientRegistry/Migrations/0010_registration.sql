-- Dynamic client registration (RFC 7591, RFC 7592). Policies say what self-registered clients may
-- have; initial access tokens (kept as SHA-256) let their holders register under a policy; a
-- self-registered client remembers where it came from and holds the hash of its registration
-- access token.
CREATE TABLE registration_policy (
    name          text        PRIMARY KEY,
    grant_types   text[]      NOT NULL,
    scopes        text[]      NOT NULL,
    auth_methods  text[]      NOT NULL,
    redirect_rule text        NOT NULL,
    access_token_lifespan  integer NOT NULL,
    refresh_token_lifespan integer NOT NULL,
    application_user text,
    -- Never-used self-registered clients are deleted after this long (null: never).
    unused_expiry interval,
    max_clients   integer,
    version       bigint      NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE initial_access_token (
    id          text        PRIMARY KEY,
    token_hash  bytea       NOT NULL UNIQUE,
    policy      text        NOT NULL REFERENCES registration_policy (name),
    -- null: any number of registrations until it expires or is revoked.
    max_uses    integer,
    uses        integer     NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE oauth_client
    ADD COLUMN origin text NOT NULL DEFAULT 'admin',
    ADD COLUMN registration_policy text,
    ADD COLUMN registration_token_hash bytea,
    ADD COLUMN software_id text,
    ADD COLUMN software_version text,
    ADD COLUMN contacts text[] NOT NULL DEFAULT '{}',
    ADD COLUMN client_uri text,
    ADD COLUMN policy_uri text,
    ADD COLUMN tos_uri text;
CREATE INDEX oauth_client_registration_policy ON oauth_client (registration_policy) WHERE registration_policy IS NOT NULL;
