-- user_sys_id as text: compared with a text parameter, a char(32) column is cast and its indexes go
-- unused (a user's refresh families were found by scanning every family: issue 25).
ALTER TABLE authorization_code ALTER COLUMN user_sys_id TYPE text;
ALTER TABLE refresh_family ALTER COLUMN user_sys_id TYPE text;
ALTER TABLE device_authorization ALTER COLUMN user_sys_id TYPE text;
