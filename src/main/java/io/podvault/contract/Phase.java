package io.podvault.contract;

/**
 * The phases of a job: the name its events carry ({@link Fields#PHASE}), the words the page shows for it
 * ({@link Fields#PHASE_TEXT}) and what its steps count ({@link Fields#PHASE_STEPS}, while tables_done and
 * tables_total count steps). Every event carries all three, so the page keeps no list of its own.
 */
public enum Phase {
  STARTING("starting", "Starting", "tables"),
  DUMPING("dumping", "Dumping the data", "tables"),
  /** A restore's upload arrives, is checked, and its checked rows load into the shadow schema meanwhile. */
  VALIDATING("validating", "Receiving, checking and loading the file", "tables"),
  /** The file has passed; the tables still loading finish. */
  LOADING("loading", "Loading the last rows", "tables"),
  INDEXING("indexing", "Building indexes", "statements"),
  MIGRATING("migrating", "Migrating to this version of podvault", "steps"),
  /** The restored data is being swapped in: requests that would write wait (503) meanwhile. */
  SWAPPING("swapping", "Swapping in the restored data", "steps");

  private final String wireName;
  private final String text;
  private final String steps;

  Phase(String wireName, String text, String steps) {
    this.wireName = wireName;
    this.text = text;
    this.steps = steps;
  }

  public String wireName() {
    return wireName;
  }

  public String text() {
    return text;
  }

  public String steps() {
    return steps;
  }
}
