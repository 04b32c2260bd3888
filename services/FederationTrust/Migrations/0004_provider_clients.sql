-- Our client at a trusted provider (its introspection endpoint, and later sign-in through it).
-- The secret is sealed (AES-GCM) under federation-trust's own key-encryption key, bound to the trust's id.
ALTER TABLE trust ADD COLUMN provider_client_id text;
ALTER TABLE trust ADD COLUMN provider_client_secret bytea;
ALTER TABLE trust ADD COLUMN provider_client_auth text NOT NULL DEFAULT 'client_secret_basic';

-- Opaque access tokens (RFC 7662 introspection): null prefix = the trust takes JWTs only. A token goes
-- to the trust whose prefix is the longest that starts it; no two trusts share a prefix ('' at most once).
ALTER TABLE trust ADD COLUMN opaque_prefix text;
ALTER TABLE trust ADD COLUMN introspection_endpoint text NOT NULL DEFAULT '';
ALTER TABLE trust ADD COLUMN introspection_cache_seconds integer NOT NULL DEFAULT 60;
CREATE UNIQUE INDEX trust_opaque_prefix ON trust (opaque_prefix) WHERE opaque_prefix IS NOT NULL;
