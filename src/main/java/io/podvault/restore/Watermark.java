package io.podvault.restore;

/**
 * How far something has come through a file: a byte position that only advances, then either ends there or
 * stops early for a reason. One thread moves it; others read behind it and wait for it to pass the point they
 * have reached. A restore waits on two: how much of the upload is stored (moved by the web verticle's writes)
 * and, for each table, how much of its rows are checked (moved by the validator, read by the table's load).
 */
final class Watermark {

  private long position;
  private boolean ended;
  private String stopped;

  /** At least {@code to} bytes are now behind the watermark. */
  synchronized void advance(long to) {
    position = Math.max(position, to);
    notifyAll();
  }

  /** The position now, without waiting. */
  synchronized long position() {
    return position;
  }

  /** Nothing follows {@code at}. */
  synchronized void end(long at) {
    position = at;
    ended = true;
    notifyAll();
  }

  /** Stops the watermark: a wait blocked now, or any later one, fails with {@code why}. The first reason stays. */
  synchronized void stop(String why) {
    if (stopped == null) {
      stopped = why;
    }
    notifyAll();
  }

  /**
   * Waits until the watermark is past {@code from} or has ended, and returns its position: more than
   * {@code from}, or {@code from} itself at the end.
   *
   * @param stallMillis how long to wait for any progress at all before giving up
   * @param stalled why giving up, for the exception
   */
  synchronized long await(long from, long stallMillis, String stalled) throws StoppedException {
    long deadline = System.currentTimeMillis() + stallMillis;
    while (position <= from && !ended && stopped == null) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        throw new StoppedException(stalled);
      }
      try {
        wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoppedException("the restore was interrupted");
      }
    }
    if (stopped != null) {
      throw new StoppedException(stopped);
    }
    return position;
  }
}
