-- The salt of the key that seals this database's backups (argon2id of the database password), one for the
-- database rather than one per process: every process then derives the same key, so the key a process derives
-- in the background at its start also checks the files that earlier processes sealed, and the first restore after
-- a start does not derive it again. The salt is no secret; every backup's header carries it. Its 16 bytes come
-- from a random UUID (122 random bits), which PostgreSQL makes without an extension.
CREATE TABLE backup_seal (
  id integer PRIMARY KEY CHECK (id = 1),
  salt bytea NOT NULL
);
INSERT INTO backup_seal (id, salt) VALUES (1, decode(replace(gen_random_uuid()::text, '-', ''), 'hex'));
