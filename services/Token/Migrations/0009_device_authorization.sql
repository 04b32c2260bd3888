-- Device authorization requests (RFC 8628). The device code is 256 random bits, kept as SHA-256;
-- the user code (about 34.5 bits) as an HMAC under a key outside the database, since a bare hash
-- of so few bits falls to an offline search. Polling state (interval, last poll) lives here so
-- every replica answers slow_down alike, measured with the database's clock.
CREATE TABLE device_authorization (
    device_code_hash bytea       PRIMARY KEY,
    user_code_hash   bytea       NOT NULL UNIQUE,
    client_id        text        NOT NULL,
    scopes           text[]      NOT NULL,
    resources        text[]      NOT NULL DEFAULT '{}',
    device_address   text,
    -- The address counted against the per-address cap (IPv6: its /64).
    address_key      text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    -- pending, approved, denied, redeemed
    status           text        NOT NULL DEFAULT 'pending',
    poll_interval    integer     NOT NULL,
    last_polled_at   timestamptz,
    slowed_down      boolean     NOT NULL DEFAULT false,
    expiry_audited   boolean     NOT NULL DEFAULT false,
    -- The approver's sign-in, for the tokens and the ID token.
    user_sys_id      char(32),
    session_id       text,
    auth_time        timestamptz,
    amr              text[]      NOT NULL DEFAULT '{}',
    decided_at       timestamptz
);
CREATE INDEX device_authorization_expires_at ON device_authorization (expires_at);
-- Live requests are counted per client before each new one.
CREATE INDEX device_authorization_pending ON device_authorization (client_id, expires_at) WHERE status = 'pending';
