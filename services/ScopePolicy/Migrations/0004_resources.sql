-- RFC 8707: each API policy's resource identifier, the audience of the tokens issued for it. Null
-- means the default, {issuer}{base_path}, resolved when read (the issuer is configuration, not data).
ALTER TABLE api_policy ADD COLUMN resource text;
-- Whether the API also accepts tokens with the issuer's default audience ({issuer}/api): true for
-- the policies that exist now, so their callers keep working; new policies say so explicitly.
ALTER TABLE api_policy ADD COLUMN accept_default_audience boolean NOT NULL DEFAULT true;
ALTER TABLE api_policy ALTER COLUMN accept_default_audience SET DEFAULT false;
