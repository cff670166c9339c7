package io.podvault.db;

import java.util.Set;
import java.util.regex.Pattern;

/** Quoting of catalog names and text for the SQL podvault writes. */
public final class Sql {

  private Sql() {
  }

  /** A double-quoted identifier, always quoted so that case and any character survive. */
  public static String ident(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
  }

  /** Names that read the same unquoted: PostgreSQL folds unquoted names to lower case. */
  private static final Pattern PLAIN_NAME = Pattern.compile("[a-z_][a-z0-9_]*");

  /**
   * An identifier quoted only when it must be, as pg_dump and {@code quote_ident} write it: when it is not
   * lower case letters, digits and underscores, or is one of {@code keywords} (the server's keywords that are
   * not unreserved, from {@code pg_get_keywords()}).
   */
  public static String identAsNeeded(String name, Set<String> keywords) {
    return PLAIN_NAME.matcher(name).matches() && !keywords.contains(name) ? name : ident(name);
  }

  /** {@code schema.name}, both quoted. */
  public static String qualified(String schema, String name) {
    return ident(schema) + "." + ident(name);
  }

  /** A string literal for a script that runs with {@code standard_conforming_strings = on}. */
  public static String literal(String text) {
    return "'" + text.replace("'", "''") + "'";
  }
}
