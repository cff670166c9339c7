package io.podvault.restore;

import io.podvault.db.Migrations;
import io.podvault.dump.Catalog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The statements pg_dump writes in a plain dump of PinePods' database, from versions 13 to 17, and nothing else.
 * The list was made from Debian's real output with {@code --data-only --disable-triggers} and with
 * {@code --clean --if-exists}. A statement is recognised by its whole text, so a second statement on the same
 * line never matches. Every name it holds must be an object of PinePods' data model as podvault's migrations
 * build it in schema {@code public} (a table, column, sequence, constraint or index, on the right table, and a
 * column of {@code CREATE TABLE} with the model's type), or belong to podvault's own bookkeeping, whose
 * statements are skipped. Nothing is ever executed: only a COPY's table and columns and a setval's value are
 * used.
 */
final class PinePodsStatements {

  /** What a recognised statement asks of the restore. */
  sealed interface Statement permits Copy, SetSequence, Ignored {
  }

  /** Rows follow for {@code table} (null: podvault's own table, whose rows are skipped) in {@code columns}. */
  record Copy(String table, List<String> columns) implements Statement {
  }

  record SetSequence(String sequence, long value, boolean isCalled) implements Statement {
  }

  /** A session setting, or a schema statement checked against the model; nothing to do. */
  record Ignored() implements Statement {
  }

  private static final Statement IGNORED = new Ignored();
  // Possessive quantifiers throughout: a long name or literal is matched without backtracking or deep recursion.
  private static final String IDENT = "(\"(?:[^\"]++|\"\")++\"|[a-z_][a-z0-9_$]*+)";
  private static final String QUALIFIED = "(public|podvault)\\." + IDENT;
  private static final String ROLE = "(?:\"(?:[^\"]++|\"\")++\"|[A-Za-z_][A-Za-z0-9_$]*+)";
  private static final String LITERAL = "'(?:[^']++|'')*+'";
  /** A sequence's name inside a string literal, where no single quote can be. */
  private static final String SEQUENCE_NAME = "(\"(?:[^\"']++|\"\")++\"|[a-z_][a-z0-9_$]*+)";
  /** Session settings pg_dump 13 to 17 writes at the top of a plain dump. */
  private static final Set<String> SETTINGS = Set.of("statement_timeout", "lock_timeout",
    "idle_in_transaction_session_timeout", "transaction_timeout", "client_encoding", "standard_conforming_strings",
    "check_function_bodies", "xmloption", "client_min_messages", "row_security", "default_tablespace",
    "default_table_access_method", "default_with_oids");
  /** Schema-level statements on podvault's own schema, in a dump of a database podvault also runs on. */
  private static final Pattern OWN_SCHEMA = Pattern.compile("^(?:CREATE SCHEMA podvault|DROP SCHEMA IF EXISTS podvault"
    + "|ALTER SCHEMA podvault OWNER TO " + ROLE + "|COMMENT ON SCHEMA podvault IS " + LITERAL
    + "|(?:GRANT|REVOKE) [A-Z, ]+ ON SCHEMA podvault (?:TO|FROM) " + ROLE + "(?: WITH GRANT OPTION)?);$", Pattern.DOTALL);

  private static final Pattern SET = Pattern.compile("^SET ([a-z_]+) = ('[^'\n]*'|[A-Za-z0-9_]+);$");
  private static final Pattern SEARCH_PATH = Pattern.compile("^SELECT pg_catalog\\.set_config\\('search_path', '', false\\);$");
  private static final Pattern SESSION_AUTHORIZATION = Pattern.compile("^SET SESSION AUTHORIZATION (?:DEFAULT|" + LITERAL + ");$");
  private static final Pattern TRIGGERS = Pattern.compile("^ALTER TABLE " + QUALIFIED + " (?:DISABLE|ENABLE) TRIGGER ALL;$");
  /** The next name of a COPY's column list, from where the last one ended. */
  private static final Pattern COPY_COLUMN = Pattern.compile("\\G(?:, )?" + IDENT);
  private static final Pattern COPY = Pattern.compile("^COPY " + QUALIFIED + " \\(([^\n]*)\\) FROM stdin;$");
  private static final Pattern SETVAL = Pattern.compile("^SELECT pg_catalog\\.setval\\('(public|podvault)\\."
    + SEQUENCE_NAME + "', (-?\\d{1,19}), (true|false)\\);$");
  private static final Pattern DROP_CONSTRAINT = Pattern.compile("^ALTER TABLE IF EXISTS ONLY " + QUALIFIED
    + " DROP CONSTRAINT IF EXISTS " + IDENT + ";$");
  private static final Pattern DROP_DEFAULT = Pattern.compile("^ALTER TABLE IF EXISTS " + QUALIFIED + " ALTER COLUMN "
    + IDENT + " DROP DEFAULT;$");
  private static final Pattern DROP = Pattern.compile("^DROP (TABLE|SEQUENCE|INDEX) IF EXISTS " + QUALIFIED + ";$");
  private static final Pattern CREATE_TABLE = Pattern.compile("^CREATE TABLE " + QUALIFIED + " \\(\n(.*)\n\\);$", Pattern.DOTALL);
  private static final Pattern COLUMN = Pattern.compile("^    " + IDENT + " (.+?),?$");
  private static final Pattern TABLE_CHECK = Pattern.compile("^    CONSTRAINT " + IDENT + " CHECK .+?,?$");
  private static final Pattern CREATE_SEQUENCE = Pattern.compile("^CREATE SEQUENCE " + QUALIFIED + "\n((?:    [^\n]+\n)*    [^\n]+);$");
  private static final Pattern SEQUENCE_OPTION = Pattern.compile("^    (?:AS [a-z]+|START WITH -?\\d+|INCREMENT BY -?\\d+"
    + "|NO MINVALUE|NO MAXVALUE|MINVALUE -?\\d+|MAXVALUE -?\\d+|CACHE \\d+|CYCLE)$");
  private static final Pattern OWNER = Pattern.compile("^ALTER (?:TABLE|SEQUENCE) " + QUALIFIED + " OWNER TO " + ROLE + ";$");
  private static final Pattern OWNED_BY = Pattern.compile("^ALTER SEQUENCE " + QUALIFIED + " OWNED BY " + QUALIFIED + "\\."
    + IDENT + ";$");
  private static final Pattern SET_DEFAULT = Pattern.compile("^ALTER TABLE ONLY " + QUALIFIED + " ALTER COLUMN " + IDENT
    + " SET DEFAULT nextval\\('(public|podvault)\\." + SEQUENCE_NAME + "'::regclass\\);$");
  private static final Pattern ADD_CONSTRAINT = Pattern.compile("^ALTER TABLE ONLY " + QUALIFIED + "\n    ADD CONSTRAINT "
    + IDENT + " [^\n]+;$");
  private static final Pattern CREATE_INDEX = Pattern.compile("^CREATE (?:UNIQUE )?INDEX " + IDENT + " ON " + QUALIFIED
    + " USING [^\n]+;$");
  private static final Pattern COMMENT = Pattern.compile("^COMMENT ON (?:(TABLE|SEQUENCE|INDEX) " + QUALIFIED
    + "|COLUMN " + QUALIFIED + "\\." + IDENT + "|CONSTRAINT " + IDENT + " ON " + QUALIFIED + "|SCHEMA public) IS "
    + LITERAL + ";$", Pattern.DOTALL);
  private static final Pattern GRANT = Pattern.compile("^(?:GRANT|REVOKE) [A-Za-z_, ()\"]+ ON (?:(TABLE|SEQUENCE) " + QUALIFIED
    + "|SCHEMA public) (?:TO|FROM) " + ROLE + "(?: WITH GRANT OPTION)?;$");

  private final Map<String, Catalog.Table> tables = new HashMap<>();
  private final Set<String> sequences = new HashSet<>();
  /** Constraint and index names, each with its table. */
  private final Map<String, String> constraints = new HashMap<>();
  private final Map<String, String> indexes = new HashMap<>();

  PinePodsStatements(Catalog model) {
    model.tables().forEach(t -> tables.put(t.name(), t));
    model.sequences().forEach(s -> sequences.add(s.name()));
    model.constraints().forEach(c -> constraints.put(c.name(), c.table()));
    model.indexes().forEach(i -> indexes.put(i.name(), i.table()));
  }

  /**
   * Whether {@code text}, holding {@code quotes} single quotes, is a whole statement: it ends with a semicolon
   * outside a string literal.
   */
  static boolean ends(CharSequence text, int quotes) {
    return text.length() > 0 && text.charAt(text.length() - 1) == ';' && quotes % 2 == 0;
  }

  static int quotes(String line) {
    int quotes = 0;
    for (int i = 0; i < line.length(); i++) {
      quotes += line.charAt(i) == '\'' ? 1 : 0;
    }
    return quotes;
  }

  /** Recognises and checks one statement that begins at {@code line}, or refuses it naming the line. */
  Statement check(String text, long line) throws InvalidBackupException {
    try {
      return recognise(text, line);
    } catch (StackOverflowError e) {
      throw refused(line, "holds a statement too deeply nested to be one pg_dump writes for PinePods' tables");
    }
  }

  private Statement recognise(String text, long line) throws InvalidBackupException {
    Matcher m;
    if ((m = SET.matcher(text)).matches()) {
      return setting(m.group(1), m.group(2), line);
    }
    if (SEARCH_PATH.matcher(text).matches() || SESSION_AUTHORIZATION.matcher(text).matches()
      || OWN_SCHEMA.matcher(text).matches()) {
      return IGNORED;
    }
    if ((m = COPY.matcher(text)).matches()) {
      return copy(m.group(1), name(m.group(2)), m.group(3), line);
    }
    if ((m = SETVAL.matcher(text)).matches()) {
      return setval(m, line);
    }
    if ((m = TRIGGERS.matcher(text)).matches()) {
      return known(m.group(1), "table", name(m.group(2)), null, line);
    }
    if ((m = DROP_CONSTRAINT.matcher(text)).matches()) {
      return known(m.group(1), "constraint", name(m.group(3)), name(m.group(2)), line);
    }
    if ((m = DROP_DEFAULT.matcher(text)).matches()) {
      return column(m.group(1), name(m.group(2)), name(m.group(3)), line);
    }
    if ((m = DROP.matcher(text)).matches()) {
      return known(m.group(2), m.group(1).toLowerCase(), name(m.group(3)), null, line);
    }
    if ((m = CREATE_TABLE.matcher(text)).matches()) {
      return createTable(m.group(1), name(m.group(2)), m.group(3), line);
    }
    if ((m = CREATE_SEQUENCE.matcher(text)).matches()) {
      for (String option : m.group(3).split("\n")) {
        if (!SEQUENCE_OPTION.matcher(option).matches()) {
          throw refused(line, "creates sequence " + name(m.group(2)) + " with an option pg_dump does not write: '"
            + option.trim() + "'");
        }
      }
      return known(m.group(1), "sequence", name(m.group(2)), null, line);
    }
    if ((m = OWNER.matcher(text)).matches()) {
      String name = name(m.group(2));
      return known(m.group(1), sequences.contains(name) ? "sequence" : "table", name, null, line);
    }
    if ((m = OWNED_BY.matcher(text)).matches()) {
      known(m.group(1), "sequence", name(m.group(2)), null, line);
      return column(m.group(3), name(m.group(4)), name(m.group(5)), line);
    }
    if ((m = SET_DEFAULT.matcher(text)).matches()) {
      column(m.group(1), name(m.group(2)), name(m.group(3)), line);
      return known(m.group(4), "sequence", name(m.group(5)), null, line);
    }
    if ((m = ADD_CONSTRAINT.matcher(text)).matches()) {
      return known(m.group(1), "constraint", name(m.group(3)), name(m.group(2)), line);
    }
    if ((m = CREATE_INDEX.matcher(text)).matches()) {
      return known(m.group(2), "index", name(m.group(1)), name(m.group(3)), line);
    }
    if ((m = COMMENT.matcher(text)).matches()) {
      return comment(m, line);
    }
    if ((m = GRANT.matcher(text)).matches()) {
      return m.group(1) == null ? IGNORED
        : known(m.group(2), m.group(1).equals("TABLE") ? "table" : "sequence", name(m.group(3)), null, line);
    }
    throw refused(line, "holds a statement that is not one pg_dump writes for PinePods' tables, and podvault "
      + "never runs a file's statements: '" + PinePodsValidator.shorten(text.replace('\n', ' ')) + "'");
  }

  private static Statement setting(String name, String value, long line) throws InvalidBackupException {
    if (!SETTINGS.contains(name)) {
      throw refused(line, "sets '" + name + "', which pg_dump does not set");
    }
    if (name.equals("client_encoding") && !value.equals("'UTF8'")) {
      throw refused(line, "is in the encoding " + value + "; podvault reads UTF8 dumps (PinePods writes them): dump the "
        + "database again with --encoding=UTF8");
    }
    if (name.equals("standard_conforming_strings") && !value.equals("on")) {
      throw refused(line, "turns standard_conforming_strings off, which no dump of PinePods' database does");
    }
    return IGNORED;
  }

  private Statement copy(String schema, String table, String columnList, long line) throws InvalidBackupException {
    if (isOwn(schema, table)) {
      return new Copy(null, List.of());
    }
    Catalog.Table model = table(table, line);
    List<String> columns = new ArrayList<>();
    Matcher m = COPY_COLUMN.matcher(columnList);
    int end = 0;
    while (m.find()) {
      String column = name(m.group(1));
      if (model.columns().stream().noneMatch(c -> c.name().equals(column))) {
        throw newer(line, "column " + column + " of table " + table);
      }
      if (columns.contains(column)) {
        throw refused(line, "names column " + column + " of table " + table + " twice");
      }
      columns.add(column);
      end = m.end();
    }
    if (columns.isEmpty() || end != columnList.length()) {
      throw refused(line, "holds a COPY of table " + table + " whose column list pg_dump does not write");
    }
    for (Catalog.Column column : model.copyColumns()) {
      if (!columns.contains(column.name()) && column.notNull() && column.defaultExpr() == null) {
        throw refused(line, "holds rows of table " + table + " without column " + column.name() + ", which has no "
          + "default and may not be empty");
      }
    }
    return new Copy(table, columns);
  }

  private Statement setval(Matcher m, long line) throws InvalidBackupException {
    String sequence = name(m.group(2));
    if (isOwn(m.group(1), sequence)) {
      return IGNORED;
    }
    if (!sequences.contains(sequence)) {
      throw newer(line, "sequence " + sequence);
    }
    try {
      return new SetSequence(sequence, Long.parseLong(m.group(3)), Boolean.parseBoolean(m.group(4)));
    } catch (NumberFormatException e) {
      throw refused(line, "sets sequence " + sequence + " to a value out of range");
    }
  }

  private Statement createTable(String schema, String table, String body, long line) throws InvalidBackupException {
    if (isOwn(schema, table)) {
      return IGNORED;
    }
    Catalog.Table model = table(table, line);
    for (String definition : body.split("\n")) {
      Matcher check = TABLE_CHECK.matcher(definition);
      if (check.matches()) {
        known(schema, "constraint", name(check.group(1)), table, line);
        continue;
      }
      Matcher m = COLUMN.matcher(definition);
      if (!m.matches()) {
        throw refused(line, "creates table " + table + " with a line pg_dump does not write: '"
          + PinePodsValidator.shorten(definition.trim()) + "'");
      }
      String name = name(m.group(1));
      Catalog.Column column = model.columns().stream().filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow(() -> newer(line, "column " + name + " of table " + table));
      String rest = m.group(2);
      if (!rest.equals(column.type()) && !rest.startsWith(column.type() + " ")) {
        throw refused(line, "creates column " + name + " of table " + table + " as '" + PinePodsValidator.shorten(rest)
          + "' where PinePods' data model has type " + column.type());
      }
    }
    return IGNORED;
  }

  private Statement comment(Matcher m, long line) throws InvalidBackupException {
    if (m.group(1) != null) {
      String kind = m.group(1).toLowerCase();
      return known(m.group(2), kind, name(m.group(3)), null, line);
    }
    if (m.group(4) != null) {
      return column(m.group(4), name(m.group(5)), name(m.group(6)), line);
    }
    if (m.group(7) != null) {
      return known(m.group(8), "constraint", name(m.group(7)), name(m.group(9)), line);
    }
    return IGNORED;
  }

  /** A column of a table of the model. */
  private Statement column(String schema, String table, String column, long line) throws InvalidBackupException {
    if (isOwn(schema, table)) {
      return IGNORED;
    }
    if (table(table, line).columns().stream().noneMatch(c -> c.name().equals(column))) {
      throw newer(line, "column " + column + " of table " + table);
    }
    return IGNORED;
  }

  /**
   * An object of the model of {@code kind} (table, sequence, constraint, index), on {@code table} when that is
   * given, or one of podvault's own.
   */
  private Statement known(String schema, String kind, String name, String table, long line) throws InvalidBackupException {
    if (isOwn(schema, table != null ? table : name)) {
      return IGNORED;
    }
    boolean known = switch (kind) {
      case "table" -> tables.containsKey(name);
      case "sequence" -> sequences.contains(name);
      case "constraint" -> constraints.containsKey(name) && (table == null || constraints.get(name).equals(table));
      default -> indexes.containsKey(name) && (table == null || indexes.get(name).equals(table));
    };
    if (!known) {
      throw newer(line, kind + " " + name + (table == null ? "" : " on table " + table));
    }
    return IGNORED;
  }

  private Catalog.Table table(String name, long line) throws InvalidBackupException {
    Catalog.Table table = tables.get(name);
    if (table == null) {
      throw newer(line, "table " + name);
    }
    return table;
  }

  /**
   * Whether an object belongs to podvault's bookkeeping: its own schema, or the history table that older
   * podvault versions kept in {@code public}.
   */
  private static boolean isOwn(String schema, String name) {
    return Migrations.INTERNAL_SCHEMA.equals(schema) || name.startsWith("podvault_schema_history");
  }

  /** The name an identifier stands for: quotes removed, doubled quotes undone. */
  static String name(String identifier) {
    return identifier.startsWith("\"") ? identifier.substring(1, identifier.length() - 1).replace("\"\"", "\"") : identifier;
  }

  private static InvalidBackupException newer(long line, String what) {
    return refused(line, "names " + what + ", which PinePods' data model as podvault knows it does not have; the file "
      + "comes from a newer PinePods or from another application: upgrade podvault, or restore it into that PinePods");
  }

  private static InvalidBackupException refused(long line, String what) {
    return new InvalidBackupException("line " + line + " of the file " + what + "; nothing was changed");
  }
}
