-- Signing in through a trust on our login page (identity brokering): off unless sign_in is true.
ALTER TABLE trust ADD COLUMN sign_in boolean NOT NULL DEFAULT false;
ALTER TABLE trust ADD COLUMN sign_in_display_name text NOT NULL DEFAULT '';
ALTER TABLE trust ADD COLUMN sign_in_login_hint boolean NOT NULL DEFAULT false;
ALTER TABLE trust ADD COLUMN sign_in_pass_prompt boolean NOT NULL DEFAULT false;
ALTER TABLE trust ADD COLUMN sign_in_email_domains text[] NOT NULL DEFAULT '{}';

-- A sign-in begun at a provider: found by the SHA-256 of its state, spent by its first answer (deleted),
-- bound to the browser that began it (SHA-256 of its cookie); expires after 10 minutes.
CREATE TABLE broker_attempt (
    state_hash      bytea       PRIMARY KEY,
    trust_id        uuid        NOT NULL REFERENCES trust (id) ON DELETE CASCADE,
    browser_binding bytea       NOT NULL,
    pending_request text        NOT NULL,
    client_id       text,
    nonce           text        NOT NULL,
    code_verifier   text        NOT NULL,
    redirect_uri    text        NOT NULL,
    max_age         integer,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX broker_attempt_expiry ON broker_attempt (expires_at);
