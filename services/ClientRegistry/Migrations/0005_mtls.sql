-- RFC 8705 §2.1.2 tls_client_auth: the one subject value (at most one column set) a CA-issued client certificate must carry.
ALTER TABLE oauth_client ADD COLUMN tls_client_auth_subject_dn text;
ALTER TABLE oauth_client ADD COLUMN tls_client_auth_san_dns text;
ALTER TABLE oauth_client ADD COLUMN tls_client_auth_san_uri text;
ALTER TABLE oauth_client ADD COLUMN tls_client_auth_san_ip text;
ALTER TABLE oauth_client ADD COLUMN tls_client_auth_san_email text;
-- RFC 8705 §2.2 self_signed_tls_client_auth: the registered certificates (base64 DER; public).
ALTER TABLE oauth_client ADD COLUMN tls_client_certificates text[] NOT NULL DEFAULT '{}';
-- RFC 8705 §3: access tokens are bound to the certificate of the token request.
ALTER TABLE oauth_client ADD COLUMN tls_client_certificate_bound_access_tokens boolean NOT NULL DEFAULT false;
