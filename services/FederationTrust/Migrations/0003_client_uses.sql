-- Which clients use which trust, so that a trust in use is never deleted or renamed without asking
-- client-registry (which calls us: calling it back would make a cycle). A client's save claims its
-- trusts before it commits; its ClientCreated/Updated/Deleted events settle them; client-registry
-- backfills the view on its first start after this script (ServiceDefaults' ClientUseView).
CREATE TABLE client_use (
    client_id text   NOT NULL,
    name      text   NOT NULL,
    -- The client version that claimed or last confirmed the use.
    version   bigint NOT NULL,
    PRIMARY KEY (client_id, name)
);
CREATE INDEX client_use_name ON client_use (name);

-- The last client version settled from its events (older events change nothing).
CREATE TABLE client_use_version (
    client_id text    PRIMARY KEY,
    version   bigint  NOT NULL,
    deleted   boolean NOT NULL DEFAULT false
);

-- One row: whether the view holds every client yet (until then no trust can be deleted or renamed).
CREATE TABLE client_use_view (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    initialized boolean NOT NULL
);
INSERT INTO client_use_view (initialized) VALUES (false);
