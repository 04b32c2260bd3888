-- The first administrator is created once in an installation's life: even a directory emptied
-- later never gets the bootstrap password back. An installation that already has users has
-- bootstrapped.
CREATE TABLE bootstrap_done (
    id      int         PRIMARY KEY CHECK (id = 1),
    done_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO bootstrap_done (id) SELECT 1 WHERE EXISTS (SELECT 1 FROM app_user);
