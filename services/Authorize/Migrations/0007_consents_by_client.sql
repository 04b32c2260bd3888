-- Administrators list and withdraw a client's consents (GET/DELETE /api/admin/consents?client=).
CREATE INDEX consent_client ON consent (client_id);
