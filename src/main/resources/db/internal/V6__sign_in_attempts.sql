-- Failed sign-ins, counted per key (a user at an address, an address) for every podvault process on this database,
-- so that several processes behind one load balancer limit them as one would. Each key is a bucket that an attempt
-- fills by one and that drains at a steady rate: level is how full it was at the time "at" (the database's clock).
-- A restore never touches it.
CREATE TABLE sign_in_attempts (
  key text PRIMARY KEY,
  level double precision NOT NULL,
  at timestamptz NOT NULL
);
