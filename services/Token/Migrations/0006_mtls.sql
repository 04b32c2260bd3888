-- Mutual TLS (RFC 8705 §4): a public client's refresh family is bound to the certificate its first
-- tokens were bound to (x5t#S256); null when unbound.
ALTER TABLE refresh_family ADD COLUMN mtls_x5t text;
