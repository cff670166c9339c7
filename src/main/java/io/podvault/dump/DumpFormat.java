package io.podvault.dump;

import java.util.Arrays;
import java.util.Optional;

/**
 * The two kinds of backup file: podvault's sealed one, and PinePods' plain pg_dump file (the data-only one a backup
 * writes for PinePods' own restore; a restore also reads its full variant), checked by structure only.
 */
public enum DumpFormat {

  PODVAULT("podvault"),
  PINEPODS("pinepods");

  private final String wireName;

  DumpFormat(String wireName) {
    this.wireName = wireName;
  }

  /** The name requests and job messages use. */
  public String wireName() {
    return wireName;
  }

  public static Optional<DumpFormat> fromWireName(String name) {
    return Arrays.stream(values()).filter(f -> f.wireName.equals(name)).findFirst();
  }

  /** The accepted names, for a message that lists them. */
  public static String wireNames() {
    return String.join(", ", Arrays.stream(values()).map(f -> "\"" + f.wireName + "\"").toList());
  }
}
