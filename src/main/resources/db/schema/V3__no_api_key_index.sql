-- PinePods' schema has no index on the API key, and public must stay exactly PinePods' schema (podvault can run on
-- a live PinePods database, whose tables it never alters); podvault finds keys without one. Version 2's index is
-- dropped rather than its migration deleted, so backups made at version 2 still restore.
DROP INDEX "APIKeys_apikey_idx";
