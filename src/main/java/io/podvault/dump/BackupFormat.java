package io.podvault.dump;

import java.util.HexFormat;
import java.util.List;

/**
 * The layout of {@code server_backup.sql}, shared by the writer and the restore's reader.
 *
 * <pre>
 * -- podvault server backup                                 first line, always
 * -- format_version: 1                                      header lines: "-- key: JSON value"
 * -- schema_version: "1"
 * -- postgresql_version: "17.6"
 * -- created_at: "2026-11-26T07:00:00Z"
 * -- kdf: {"algorithm":"argon2id",...,"salt":"..."}
 * -- table: {"name":"Users","rows":12}                      one per table, in the order of the data
 * -- end of header
 * SET ...; CREATE ...;                                      schema, as pg_dump orders it
 * COPY public."Users" (...) FROM stdin;                     rows in COPY text format, ended by \.
 * SELECT pg_catalog.setval(...);  ALTER TABLE ... ADD CONSTRAINT ...;  CREATE INDEX ...;
 * -- podvault trailer: {"sha256":"...","hmac_sha256":"..."} last line; covers every byte before it
 * </pre>
 *
 * The HMAC is HMAC-SHA-256 over the content's SHA-256 digest, keyed by argon2id of the database password.
 */
public final class BackupFormat {

  public static final int FORMAT_VERSION = 1;
  public static final String FIRST_LINE = "-- podvault server backup";
  public static final String HEADER_PREFIX = "-- ";
  public static final String END_OF_HEADER = "-- end of header";
  public static final String TRAILER_PREFIX = "-- podvault trailer: ";
  public static final String END_OF_COPY = "\\.";

  public static final String KEY_FORMAT_VERSION = "format_version";
  public static final String KEY_SCHEMA_VERSION = "schema_version";
  public static final String KEY_POSTGRESQL_VERSION = "postgresql_version";
  public static final String KEY_CREATED_AT = "created_at";
  public static final String KEY_KDF = "kdf";
  public static final String KEY_TABLE = "table";

  public static final String TRAILER_SHA256 = "sha256";
  public static final String TRAILER_HMAC = "hmac_sha256";

  /** Session settings at the top of the script, as pg_dump writes them, so psql loads it the same anywhere. */
  public static final List<String> PROLOGUE = List.of(
    "SET statement_timeout = 0;",
    "SET lock_timeout = 0;",
    "SET idle_in_transaction_session_timeout = 0;",
    "SET client_encoding = 'UTF8';",
    "SET standard_conforming_strings = on;",
    "SELECT pg_catalog.set_config('search_path', '', false);",
    "SET check_function_bodies = false;",
    "SET xmloption = content;",
    "SET client_min_messages = warning;",
    "SET row_security = off;");

  public static final HexFormat HEX = HexFormat.of();

  private BackupFormat() {
  }
}
