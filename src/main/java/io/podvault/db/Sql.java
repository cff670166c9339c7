package io.podvault.db;

/** Quoting of catalog names and text for the SQL podvault writes. */
public final class Sql {

  private Sql() {
  }

  /** A double-quoted identifier, always quoted so that case and any character survive. */
  public static String ident(String name) {
    return '"' + name.replace("\"", "\"\"") + '"';
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
