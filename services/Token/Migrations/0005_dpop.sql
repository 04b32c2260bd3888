-- DPoP (RFC 9449). A code requested with dpop_jkt may only be redeemed with a proof by that key
-- (§10); a public client's refresh family is bound to the key of the proof that started it (§5).
ALTER TABLE authorization_code ADD COLUMN dpop_jkt text;
ALTER TABLE refresh_family ADD COLUMN dpop_jkt text;
