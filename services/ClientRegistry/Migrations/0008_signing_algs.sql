-- What a client's access tokens and ID tokens are signed with (RS256, PS256, ES256); null: the server's default.
ALTER TABLE oauth_client ADD COLUMN access_token_signing_alg text;
ALTER TABLE oauth_client ADD COLUMN id_token_signed_response_alg text;
