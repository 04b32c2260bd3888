-- The administrators' token inventory (GET /api/admin/tokens): newest first, by client, by user,
-- read a page at a time by keyset (issued, id), so a page costs the same at any depth.
CREATE INDEX issued_token_newest ON issued_token (issued_at DESC, jti DESC);
CREATE INDEX issued_token_client_newest ON issued_token (client_id, issued_at DESC, jti DESC);
CREATE INDEX issued_token_subject_newest ON issued_token (subject, issued_at DESC, jti DESC);
CREATE INDEX refresh_family_newest ON refresh_family (created_at DESC, family_id DESC);
CREATE INDEX refresh_family_client_newest ON refresh_family (client_id, created_at DESC, family_id DESC);

-- What a sender-constrained access token is bound to (RFC 9449 jkt, RFC 8705 x5t#S256).
ALTER TABLE issued_token ADD COLUMN dpop_jkt text;
ALTER TABLE issued_token ADD COLUMN mtls_x5t text;
