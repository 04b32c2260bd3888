-- The first administrator is created once in an installation's life: even a directory emptied
-- later never gets the bootstrap password back. admin_sys_id names the administrator created here
-- (null: none was, or users handed over from the authorize service superseded it: UserImport).
CREATE TABLE bootstrap_done (
    id           int         PRIMARY KEY CHECK (id = 1),
    done_at      timestamptz NOT NULL DEFAULT now(),
    admin_sys_id char(32)
);
