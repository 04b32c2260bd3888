-- user_sys_id as text: compared with a text parameter, a char(32) column is cast and its indexes go
-- unused (a user's consents and sessions were found by scanning the table: issue 25).
ALTER TABLE login_session ALTER COLUMN user_sys_id TYPE text;
ALTER TABLE consent ALTER COLUMN user_sys_id TYPE text;
