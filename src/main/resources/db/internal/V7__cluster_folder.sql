-- Clustered mode: the id of the backup folder every node shares. The first node writes it into a marker file in the
-- folder; every node checks at start that its backup_dir holds the same marker, so that it lists, restores and prunes
-- the same files as the others.
CREATE TABLE cluster_folder (
  id integer PRIMARY KEY CHECK (id = 1),
  folder_id uuid NOT NULL
);
