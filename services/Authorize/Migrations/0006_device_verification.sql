-- Wrong user codes typed on the device verification page (RFC 8628 §5.1), counted per sign-in
-- session, per user, per address and for everyone together. A key past its limit is locked until
-- locked_until: then no code is looked up for it, not even a right one. Counted with the
-- database's clock, so every authorize replica keeps the same count.
CREATE TABLE device_guess (
    key          text        PRIMARY KEY,
    window_start timestamptz NOT NULL,
    misses       integer     NOT NULL,
    locked_until timestamptz
);
CREATE INDEX device_guess_window_start ON device_guess (window_start);
