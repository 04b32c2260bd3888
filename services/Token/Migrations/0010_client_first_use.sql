-- When a self-registered client first got a token. One row per client, written once (a replica
-- remembers the clients it has seen), with the ClientFirstUsed event in the same transaction: the
-- registry deletes self-registered clients never used after their policy's time.
CREATE TABLE client_first_use (
    client_id text        PRIMARY KEY,
    used_at   timestamptz NOT NULL DEFAULT now()
);
