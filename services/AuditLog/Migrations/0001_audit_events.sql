-- The audit events read from the auditors' stream, for the audit query API: one row per stream
-- entry (its offset is its position), the fields people filter on pulled out of the event.
CREATE TABLE audit_event (
    position    bigint      PRIMARY KEY,
    occurred_at timestamptz NOT NULL,
    service     text        NOT NULL,
    type        text        NOT NULL,
    outcome     text        NOT NULL,
    -- Every client and user the event names, as actor or as subject (user names lower-cased).
    clients     text[]      NOT NULL,
    users       text[]      NOT NULL,
    data        jsonb       NOT NULL
);

CREATE INDEX audit_event_clients ON audit_event USING gin (clients);
CREATE INDEX audit_event_users ON audit_event USING gin (users);
CREATE INDEX audit_event_type ON audit_event (type, position);
CREATE INDEX audit_event_occurred_at ON audit_event (occurred_at);
