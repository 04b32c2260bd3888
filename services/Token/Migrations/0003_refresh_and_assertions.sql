-- Refresh token families: one per grant (a sign-in, a password grant). The family keeps the
-- originally granted scopes and expires a fixed time after its first issue; every use rotates
-- the token, and reuse of a rotated one revokes the family and its access tokens.
CREATE TABLE refresh_family (
    family_id      uuid        PRIMARY KEY,
    client_id      text        NOT NULL,
    user_sys_id    char(32)    NOT NULL,
    scopes         text[]      NOT NULL,
    grant_type     text        NOT NULL,
    auth_time      timestamptz,
    session_id     text,
    amr            text[]      NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_reason text
);
CREATE INDEX refresh_family_user_client ON refresh_family (user_sys_id, client_id);
CREATE INDEX refresh_family_expires_at ON refresh_family (expires_at);

CREATE TABLE refresh_token (
    token_hash bytea       PRIMARY KEY,
    family_id  uuid        NOT NULL REFERENCES refresh_family ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    rotated_at timestamptz
);
CREATE INDEX refresh_token_family ON refresh_token (family_id);

ALTER TABLE issued_token ADD COLUMN family_id uuid;
CREATE INDEX issued_token_family ON issued_token (family_id) WHERE family_id IS NOT NULL;

-- Assertion ids already used (JWT bearer grants, private_key_jwt), until the assertions expire.
CREATE TABLE used_jti (
    client_id  text        NOT NULL,
    jti        text        NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX used_jti_expires_at ON used_jti (expires_at);
