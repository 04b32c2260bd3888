-- The JWT verifier's HMAC shared key, encrypted (AES-256-GCM) under the key-encryption key.
ALTER TABLE oauth_client ADD COLUMN shared_key_enc bytea;
