-- REST API access policies: an API (base path) and its rules (methods, resource pattern, scopes).
CREATE TABLE api_policy (
    name       text        PRIMARY KEY,
    base_path  text        NOT NULL,
    rules      jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Paths match case-insensitively (as the routers behind the edge do), so base paths are unique that way too.
CREATE UNIQUE INDEX api_policy_base_path ON api_policy (lower(base_path));
CREATE INDEX api_policy_rules ON api_policy USING gin (rules jsonb_path_ops);
