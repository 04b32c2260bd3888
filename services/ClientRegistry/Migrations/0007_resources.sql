-- RFC 8707: the resource identifiers of the APIs a client may ask tokens for; empty allows every API.
ALTER TABLE oauth_client ADD COLUMN allowed_resources text[] NOT NULL DEFAULT '{}';
