-- Rows of any table, as JSON objects: enough of ServiceNow's Table API to demonstrate scopes.
CREATE TABLE table_row (
    sys_id     char(32)    PRIMARY KEY,
    table_name text        NOT NULL,
    data       jsonb       NOT NULL,
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX table_row_table ON table_row (table_name, created_at);
