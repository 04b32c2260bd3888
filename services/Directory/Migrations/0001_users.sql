-- The user directory (until issue 18 in the authorize service's database, whose users are handed
-- over at its start: UserImport). sys_id is ServiceNow-style: 32 lowercase hex characters, never reused.
CREATE TABLE app_user (
    sys_id                 char(32)    PRIMARY KEY,
    user_name              text        NOT NULL,
    email                  text,
    first_name             text        NOT NULL DEFAULT '',
    last_name              text        NOT NULL DEFAULT '',
    -- ASP.NET Core Identity PasswordHasher format; null: the user cannot sign in with a password.
    password_hash          text,
    roles                  text[]      NOT NULL DEFAULT '{}',
    active                 boolean     NOT NULL DEFAULT true,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

-- User names and emails are unique regardless of case: "Admin" and "admin" are one person.
CREATE UNIQUE INDEX app_user_user_name ON app_user (lower(user_name));
CREATE UNIQUE INDEX app_user_email ON app_user (lower(email)) WHERE email IS NOT NULL;
