-- OAuth scopes (RFC 6749 §3.3 scope-token characters only) with the text shown on consent pages.
CREATE TABLE scope (
    name        text        PRIMARY KEY CHECK (name ~ '^[!#-\[\]-~]+$' AND length(name) <= 128),
    description text        NOT NULL,
    active      boolean     NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO scope (name, description) VALUES
    ('openid',      'Sign you in and identify you to the application'),
    ('profile',     'Read your name and user name'),
    ('email',       'Read your email address'),
    ('useraccount', 'Act as you on every API you can use'),
    ('admin.api',   'Administer OAuth applications, users, scopes and policies')
ON CONFLICT (name) DO NOTHING;
