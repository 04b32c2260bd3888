-- "Not valid before" per user and per client: tokens naming them issued at or before
-- issued_before are refused (user deactivated, deleted or demoted; client deactivated or deleted).
-- Kept a day and a bit: no access token lives longer.
CREATE TABLE token_cut_off (
    subject_kind  text        NOT NULL,
    subject_id    text        NOT NULL,
    issued_before timestamptz NOT NULL,
    PRIMARY KEY (subject_kind, subject_id)
);
