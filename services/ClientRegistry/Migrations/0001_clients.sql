-- OAuth applications (ServiceNow's application registry). Rows are never removed: a deleted
-- client keeps its id (deleted_at set) so the id is never issued again.
CREATE TABLE oauth_client (
    client_id                 text        PRIMARY KEY,
    name                      text        NOT NULL,
    -- SHA-256 of the 256-bit random secret; null for public clients.
    secret_hash               bytea,
    public                    boolean     NOT NULL DEFAULT false,
    pkce_required             boolean     NOT NULL DEFAULT false,
    redirect_uris             text[]      NOT NULL DEFAULT '{}',
    post_logout_redirect_uris text[]      NOT NULL DEFAULT '{}',
    grant_types               text[]      NOT NULL DEFAULT '{}',
    scopes                    text[]      NOT NULL DEFAULT '{}',
    default_scopes            text[]      NOT NULL DEFAULT '{}',
    access_token_lifespan     integer     NOT NULL DEFAULT 1800,
    refresh_token_lifespan    integer     NOT NULL DEFAULT 8640000,
    application_user_sys_id   char(32),
    application_user_name     text,
    can_introspect            boolean     NOT NULL DEFAULT false,
    logo_url                  text,
    active                    boolean     NOT NULL DEFAULT true,
    trusts                    text[]      NOT NULL DEFAULT '{}',
    jwt_verifier              jsonb,
    version                   bigint      NOT NULL DEFAULT 1,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    deleted_at                timestamptz
);

CREATE INDEX oauth_client_scopes ON oauth_client USING gin (scopes) WHERE deleted_at IS NULL;
