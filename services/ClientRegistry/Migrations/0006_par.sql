-- RFC 9126 §6 require_pushed_authorization_requests: this client's authorization requests must be pushed.
ALTER TABLE oauth_client ADD COLUMN require_pushed_authorization_requests boolean NOT NULL DEFAULT false;
