-- Software statements (RFC 7591 §2.3): a policy may trust one issuer's keys and require a statement;
-- a client keeps the statement it registered with, returned unmodified (§3.2.1). first_used_at is
-- set from the token service's ClientFirstUsed event: self-registered clients never used expire.
-- A client from a Client ID Metadata Document keeps its document's hash, when to fetch it again,
-- and whether it was deactivated because its document was gone (it comes back with the document).
ALTER TABLE registration_policy
    ADD COLUMN statement_issuer   text,
    ADD COLUMN statement_keys     jsonb,
    ADD COLUMN statement_required boolean NOT NULL DEFAULT false;

ALTER TABLE oauth_client
    ADD COLUMN software_statement text,
    ADD COLUMN first_used_at      timestamptz,
    ADD COLUMN document_hash      bytea,
    ADD COLUMN document_expires_at timestamptz,
    ADD COLUMN document_gone      boolean NOT NULL DEFAULT false;
-- Clients registered before this change may well be in use: nothing recorded it, so count them as used.
UPDATE oauth_client SET first_used_at = created_at WHERE origin = 'registration';
CREATE INDEX oauth_client_never_used ON oauth_client (created_at)
    WHERE origin = 'registration' AND first_used_at IS NULL AND deleted_at IS NULL;
