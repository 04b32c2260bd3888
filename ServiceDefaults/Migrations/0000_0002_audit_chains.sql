-- Tamper-evident audit (ServiceDefaults/Audit/AuditChains): every outbox row is the exact CloudEvent
-- that will be published, linked into its writer's hash chain when the row is written. One row per
-- chain holds its head; a writer moves it only from the position it read (a rolled-back write leaves
-- it where it was), so positions have no gaps and the relay publishes each chain in order.
CREATE TABLE IF NOT EXISTS audit_chain (
    chain        text        PRIMARY KEY,
    position     bigint      NOT NULL,
    head         bytea       NOT NULL,
    -- The position of the chain's last signed checkpoint (which covers the event before it).
    checkpointed bigint      NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE outbox ADD COLUMN IF NOT EXISTS chain text;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS position bigint;
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS body bytea;
-- On the stream already, its publish inside (MassTransit, for the services that act on it) still owed.
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS streamed boolean NOT NULL DEFAULT false;
-- Rows written before this script keep their payload and are published unchained.
ALTER TABLE outbox ALTER COLUMN payload DROP NOT NULL;
-- Rows of one chain get ids in position order (the chain's lock is taken before the insert), and the relay publishes by id.
CREATE INDEX IF NOT EXISTS outbox_unsent_by_id ON outbox (id) WHERE sent_at IS NULL;
DROP INDEX IF EXISTS outbox_unsent;
