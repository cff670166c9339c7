package io.podvault.db;

import java.util.List;

/**
 * The database's {@code public} schema holds tables that podvault did not create and cannot adopt: not PinePods'
 * tables, or PinePods' tables in another shape than the data model. The message lists what differs and says what to
 * do; it is the whole story, so the start prints it without a stack trace.
 */
public final class SchemaRefusedException extends RuntimeException {

  public SchemaRefusedException(List<String> differences) {
    super(message(differences));
  }

  private static String message(List<String> differences) {
    int shown = Math.min(differences.size(), 40);
    return "schema public of this database holds tables that podvault did not create and that differ from PinePods' "
      + "data model, so podvault does not use it: " + String.join("; ", differences.subList(0, shown))
      + (differences.size() > shown ? "; and " + (differences.size() - shown) + " more" : "")
      + ". Point db_url (PODVAULT_DB_URL) at an empty database, or at a PinePods database whose schema is PinePods' own "
      + "(undo changes made by hand, or let PinePods finish its migrations first)";
  }
}
