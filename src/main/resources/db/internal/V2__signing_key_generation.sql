-- Sessions are tied to the signing key's generation. A sign-in reads the generation before it checks the
-- password and opens its session only if the generation is still the same, so a sign-in that overlapped a
-- restore never opens a session on the restored data. Every rotation (a restore's swap included) bumps it.
ALTER TABLE signing_key ADD COLUMN generation bigint NOT NULL DEFAULT 1;

-- The secret a rotation replaced: a token signed with it is recognised as one the restore ended (and answered
-- "the server was restored"), never accepted.
ALTER TABLE signing_key ADD COLUMN previous_secret text;
