-- Transactional audit outbox, shared by every service (ServiceDefaults/Audit).
-- Rows are written in the same transaction as the state change they describe; the relay
-- publishes them to RabbitMQ in (txid, id) order and marks them sent after the broker confirms.
CREATE TABLE IF NOT EXISTS outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE,
    message_type text        NOT NULL,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The writing transaction: a row is published only once every older transaction has ended,
    -- so a slow transaction can never slip an event in before one already published.
    txid         xid8        NOT NULL DEFAULT pg_current_xact_id(),
    sent_at      timestamptz
);

CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (txid, id) WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
