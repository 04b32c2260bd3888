-- Off by default: a trust's tokens never stand for a user holding an administrative role unless it says so.
ALTER TABLE trust ADD COLUMN allow_privileged_users boolean NOT NULL DEFAULT false;

-- A provider's subject (iss, sub) → the local user its mutable claim (email, upn...) first named.
-- Later tokens of the subject map to that user whatever the claim says, and one user belongs to one
-- subject per trust: another subject claiming the same address is refused (the "nOAuth" defence).
CREATE TABLE subject_link (
    trust_id    uuid        NOT NULL REFERENCES trust (id) ON DELETE CASCADE,
    issuer      text        NOT NULL,
    subject     text        NOT NULL,
    user_sys_id text        NOT NULL,
    linked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (trust_id, issuer, subject),
    CONSTRAINT subject_link_one_subject_per_user UNIQUE (trust_id, user_sys_id)
);
