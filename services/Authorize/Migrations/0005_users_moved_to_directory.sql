-- The users moved to the directory service (issue 18), which owns them in its own database. What
-- this database held waits under legacy_* until LegacyUserImport has handed it over at start
-- (users with their password hashes, the failed-password counts, the bootstrap marker) and then
-- drops it. A fresh install goes the same way with nothing to hand over. Sessions and consents keep
-- the users' sys_id: no foreign key ever tied them to app_user.
ALTER TABLE app_user RENAME TO legacy_app_user;
ALTER TABLE login_failure RENAME TO legacy_login_failure;
ALTER TABLE bootstrap_done RENAME TO legacy_bootstrap_done;
