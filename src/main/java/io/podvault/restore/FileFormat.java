package io.podvault.restore;

/** The two kinds of backup file a restore takes, told apart by their first lines. */
public enum FileFormat {
  /** podvault's own sealed file: checked byte for byte and by its seal. */
  PODVAULT("podvault"),
  /** A plain pg_dump file that PinePods wrote: not sealed, so checked by structure only. */
  PINEPODS("pinepods");

  private final String wireName;

  FileFormat(String wireName) {
    this.wireName = wireName;
  }

  /** The name the API and the page use. */
  public String wireName() {
    return wireName;
  }
}
