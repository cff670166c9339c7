package io.podvault.cluster;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.DataFolder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.UUID;

/**
 * Clustered mode's check that every node's {@code backup_dir} is one folder (a network mount), so that any node lists,
 * restores and prunes the same files: the first node records an id in the database and writes it into a marker file in
 * its folder; every node then finds that marker in its own folder at start, or refuses to start.
 */
public final class SharedFolder {

  static final String MARKER = ".podvault-cluster-folder";
  private static final String READ = "SELECT folder_id FROM podvault.cluster_folder WHERE id = 1";
  private static final String CLAIM = "INSERT INTO podvault.cluster_folder (id, folder_id) VALUES (1, ?) ON CONFLICT (id) DO NOTHING";
  /** How long a node waits for the node that recorded the id to write its marker. */
  private static final long MARKER_WAIT_MILLIS = 10_000;

  private SharedFolder() {
  }

  /** Fails with the reason when {@code dir} is not the folder the other nodes of this database share. */
  public static void check(DbCoordinates db, Path dir) throws SQLException, IOException, InterruptedException {
    Path marker = dir.resolve(MARKER);
    String recorded;
    try (Connection c = Connections.open(db)) {
      recorded = read(c);
      if (recorded == null) {
        String fresh = UUID.randomUUID().toString();
        try (PreparedStatement ps = c.prepareStatement(CLAIM)) {
          ps.setObject(1, UUID.fromString(fresh));
          if (ps.executeUpdate() == 1) {
            try {
              DataFolder.writeDurably(marker, fresh + "\n");
            } catch (IOException e) {
              // An id no folder holds would keep every node out: the next start tries again.
              c.createStatement().execute("DELETE FROM podvault.cluster_folder");
              throw e;
            }
            return;
          }
        }
        recorded = read(c);
      }
    }
    long deadline = System.currentTimeMillis() + MARKER_WAIT_MILLIS;
    while (true) {
      String found = readMarker(marker);
      if (recorded.equals(found)) {
        return;
      }
      if (found != null || System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("the backup folder " + dir + " is not the one the other nodes on this database "
          + "share (its marker " + MARKER + " is " + (found == null ? "missing" : "another folder's") + "): in clustered mode "
          + "every node's backup_dir must be the same folder, a network mount; if the shared folder was moved, copy "
          + MARKER + " from the old one into it");
      }
      Thread.sleep(200);
    }
  }

  private static String read(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(READ); ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static String readMarker(Path marker) throws IOException {
    try {
      return Files.readString(marker, StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException e) {
      return null;
    }
  }
}
