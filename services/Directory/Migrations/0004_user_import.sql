-- The authorize service's first hand-over of the users it held before this service existed (an
-- empty one on a fresh install). Only the first may supersede the administrator created here.
CREATE TABLE user_import (
    id         int         PRIMARY KEY CHECK (id = 1),
    settled_at timestamptz NOT NULL DEFAULT now(),
    users      integer     NOT NULL
);
