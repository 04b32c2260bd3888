-- RFC 9126 §6 require_pushed_authorization_requests: this client's authorization requests must be pushed.
ALTER TABLE oauth_client ADD COLUMN require_pushed_authorization_requests boolean NOT NULL DEFAULT false;
-- RFC 9101 require_signed_request_object: this client's authorization requests must be request objects it signed.
ALTER TABLE oauth_client ADD COLUMN require_signed_request_object boolean NOT NULL DEFAULT false;
