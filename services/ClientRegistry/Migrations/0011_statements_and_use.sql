-- Software statements (RFC 7591 §2.3): a policy may trust one issuer's keys and require a statement;
-- a client keeps the statement it registered with, returned unmodified (§3.2.1). first_used_at is
-- set from the token service's ClientFirstUsed event: self-registered clients never used expire.
ALTER TABLE registration_policy
    ADD COLUMN statement_issuer   text,
    ADD COLUMN statement_keys     jsonb,
    ADD COLUMN statement_required boolean NOT NULL DEFAULT false;

ALTER TABLE oauth_client
    ADD COLUMN software_statement text,
    ADD COLUMN first_used_at      timestamptz;
CREATE INDEX oauth_client_never_used ON oauth_client (created_at)
    WHERE origin <> 'admin' AND first_used_at IS NULL AND deleted_at IS NULL;
