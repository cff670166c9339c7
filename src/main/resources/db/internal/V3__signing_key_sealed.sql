-- The signing key's secrets are stored sealed (AES-GCM) under a key derived from the database password with this
-- salt, so that a dump of the whole database (PinePods' own backups dump every schema) never carries them in clear.
-- podvault seals the secrets that are still in clear when it starts (it needs the password, which SQL does not have).
ALTER TABLE signing_key ADD COLUMN salt bytea;
