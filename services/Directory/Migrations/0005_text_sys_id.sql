-- sys_id as text: a char(32) column compared with a text parameter (what Npgsql sends for a string)
-- is cast to text first, which no index on the char(32) column serves, so every look-up of a user
-- by id scanned the whole table (found by bench/seed at 100,000 users: issue 25).
ALTER TABLE app_user ALTER COLUMN sys_id TYPE text;
ALTER TABLE bootstrap_done ALTER COLUMN admin_sys_id TYPE text;
