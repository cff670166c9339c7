package io.podvault.support;

import io.podvault.dump.BackupFormat;
import io.podvault.dump.Seal;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Backup files sealed by a test: a changed file signed again, or a backup as another server would seal it. */
public final class Sealing {

  private Sealing() {
  }

  /** The content followed by the trailer podvault would write for it, keyed with {@code password}. */
  public static String sealed(String content, String password) {
    byte[] digest = Seal.sha256().digest(content.getBytes(StandardCharsets.UTF_8));
    String kdf = content.lines().filter(l -> l.startsWith("-- kdf: ")).findFirst().orElseThrow().substring(8);
    byte[] hmac = Seal.hmac(Seal.fromJson(new JsonObject(kdf)).key(password), digest);
    return content + BackupFormat.TRAILER_PREFIX + new JsonObject()
      .put(BackupFormat.TRAILER_SHA256, BackupFormat.HEX.formatHex(digest))
      .put(BackupFormat.TRAILER_HMAC, BackupFormat.HEX.formatHex(hmac)).encode() + "\n";
  }

  /** {@code backup} sealed again with {@code password} into {@code target}, as a server with that password would. */
  public static Path resealed(Path backup, Path target, String password) throws IOException {
    String text = Files.readString(backup, StandardCharsets.UTF_8);
    String content = text.substring(0, text.lastIndexOf(BackupFormat.TRAILER_PREFIX));
    return Files.writeString(target, sealed(content, password), StandardCharsets.UTF_8);
  }
}
