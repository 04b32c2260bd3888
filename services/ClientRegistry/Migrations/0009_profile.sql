-- A security profile the client is held to: null, or 'fapi2' (aligned with the FAPI 2.0 Security Profile).
ALTER TABLE oauth_client ADD COLUMN profile text;
