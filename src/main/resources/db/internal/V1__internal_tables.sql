-- podvault's own bookkeeping. It lives in schema podvault, apart from the application data in public,
-- so it is never written into a backup and survives every restore.

CREATE TABLE signing_key (
  id smallint PRIMARY KEY CHECK (id = 1),
  secret text NOT NULL,
  rotated_at timestamptz NOT NULL DEFAULT now()
);

-- No foreign key to "Users": that table is replaced wholesale by a restore.
CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  user_id integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('backup', 'restore')),
  state text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
  started_by text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  progress jsonb NOT NULL DEFAULT '{}',
  error text
);
