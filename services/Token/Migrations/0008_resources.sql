-- RFC 8707: the APIs (resource identifiers) a code's grant and a refresh family were authorized
-- for; each access token names one of them as its audience. Empty: the default audience only.
ALTER TABLE authorization_code ADD COLUMN resources text[] NOT NULL DEFAULT '{}';
ALTER TABLE refresh_family ADD COLUMN resources text[] NOT NULL DEFAULT '{}';
