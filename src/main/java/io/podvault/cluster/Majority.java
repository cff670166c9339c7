package io.podvault.cluster;

/**
 * Whether this node may start a job: a single process always may; a node of a cluster only while it sees a strict
 * majority of the configured members ({@link Fence}), so that a node cut off from the others never changes the data.
 */
public interface Majority {

  /** A single process, or a command of the command line: never part of a cluster's vote. */
  Majority ALWAYS = () -> null;

  /** Why this node may not start a job now, for the administrator; null when it may. */
  String lacking();
}
