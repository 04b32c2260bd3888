-- RFC 9449 §5.2 dpop_bound_access_tokens: the client is always issued DPoP-bound tokens, never bearer ones.
ALTER TABLE oauth_client ADD COLUMN dpop_bound_access_tokens boolean NOT NULL DEFAULT false;
-- RFC 9449 §8: this client's DPoP proofs at the token endpoint must carry a server nonce.
ALTER TABLE oauth_client ADD COLUMN dpop_nonce_required boolean NOT NULL DEFAULT false;
