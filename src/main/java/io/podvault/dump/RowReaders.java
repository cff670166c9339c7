package io.podvault.dump;

import io.podvault.config.DbCoordinates;
import io.podvault.db.Connections;
import io.podvault.db.CopyOutConnection;
import io.podvault.db.Sql;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The COPY connections that read a backup's rows side by side, each on a thread of its own, in the dump's
 * snapshot and ahead of the writer, which takes the rows in the file's order. A reader takes the next COPY
 * that no reader has taken and fills blocks from a fixed set of its own: memory stays bounded whatever the
 * tables' sizes, and a reader that runs ahead waits for the writer rather than taking blocks that the COPY
 * being written needs (so the writer always gets its rows). What is given to one reader runs in order on its
 * thread.
 *
 * <p>It owns its connections, whether it opened them ({@link #open}, in the background, so that they sign in while
 * the caller does other work) or was given them ({@link #using}), and closes them.
 */
public final class RowReaders implements AutoCloseable {

  /** Rows travel in blocks this large: each is hashed and handed on whole. */
  static final int BLOCK_BYTES = 256 * 1024;
  /** 8 MiB per reader: about the rows of one range of a split table ({@link CopyPlan#RANGE_PAGES}). */
  private static final int BLOCKS_PER_READER = 32;
  /** Rows between two updates of a block's row count, which the progress shown is made of. */
  private static final int COUNT_EVERY_ROWS = 1_000;
  private static final long STOP_WAIT_SECONDS = 10;

  private final List<Reader> readers;

  private RowReaders(List<Reader> readers) {
    this.readers = readers;
  }

  /** Starts opening {@code count} connections; {@link #awaitConnected} says whether they all opened. */
  public static RowReaders open(DbCoordinates db, int count) {
    List<Reader> readers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ExecutorService thread = thread(i);
      readers.add(new Reader(thread, thread.submit(() -> Connections.copyOut(db))));
    }
    return new RowReaders(readers);
  }

  /** Reads on these open connections, and closes them in the end. */
  public static RowReaders using(List<CopyOutConnection> connections) {
    List<Reader> readers = new ArrayList<>();
    for (int i = 0; i < connections.size(); i++) {
      ExecutorService thread = thread(i);
      CopyOutConnection connection = connections.get(i);
      readers.add(new Reader(thread, thread.submit(() -> connection)));
    }
    return new RowReaders(readers);
  }

  private static ExecutorService thread(int index) {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "podvault-rows-" + index);
      t.setDaemon(true);
      return t;
    });
  }

  /** Waits until every connection has signed in; the first that failed, fails. */
  public void awaitConnected() throws SQLException {
    for (Reader reader : readers) {
      reader.connection();
    }
  }

  int size() {
    return readers.size();
  }

  /** Starts every connection's transaction in the snapshot {@code id} exported, so all see the same data. */
  void joinSnapshot(String id, String begin) throws SQLException, IOException {
    List<Future<Void>> joined = new ArrayList<>();
    for (Reader reader : readers) {
      CopyOutConnection c = reader.connection();
      joined.add(reader.thread.submit(() -> {
        c.execute(begin);
        c.execute("SET TRANSACTION SNAPSHOT " + Sql.literal(id));
        return null;
      }));
    }
    for (Future<Void> f : joined) {
      await(f);
    }
  }

  /** Runs {@code sql} on reader {@code index}, before anything given to it later; the first column of each row. */
  Future<List<Long>> numbers(int index, String sql) throws SQLException {
    CopyOutConnection c = readers.get(index).connection();
    return readers.get(index).thread.submit(() -> {
      c.submit(sql);
      return c.readNumbers();
    });
  }

  /** Starts reading the COPY statements, each on the first reader free; the writer takes their rows from what this returns. */
  Rows read(List<String> copies) throws SQLException {
    List<BlockingQueue<Block>> out = new ArrayList<>();
    for (int i = 0; i < copies.size(); i++) {
      out.add(new LinkedBlockingQueue<>());
    }
    AtomicInteger next = new AtomicInteger();
    for (Reader reader : readers) {
      CopyOutConnection c = reader.connection();
      reader.thread.submit(() -> readCopies(c, reader, copies, out, next));
    }
    return new Rows(out);
  }

  /** Ends every reader's transaction: a snapshot that lasted to the end is what makes the file consistent. */
  void commit() throws SQLException, IOException {
    List<Future<Void>> committed = new ArrayList<>();
    for (Reader reader : readers) {
      CopyOutConnection c = reader.connection();
      committed.add(reader.thread.submit(() -> {
        c.execute("COMMIT");
        return null;
      }));
    }
    for (Future<Void> f : committed) {
      await(f);
    }
  }

  /**
   * Stops the readers and closes their connections: closing a connection ends its COPY and its transaction, an
   * interrupt ends a wait for a free block. Safe from any thread, more than once.
   */
  @Override
  public void close() {
    readers.forEach(Reader::closeIfOpen);
    readers.forEach(reader -> reader.thread.shutdownNow());
    for (Reader reader : readers) {
      try {
        reader.thread.awaitTermination(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    readers.forEach(Reader::closeIfOpen); // one that finished signing in meanwhile
  }

  /**
   * One reader's loop: takes the next COPY nobody has taken until none is left. A failure ends the COPY's rows with
   * it, which is where the writer, taking the rows in order, meets it; this reader then stops.
   */
  private static Void readCopies(CopyOutConnection c, Reader reader, List<String> copies,
    List<BlockingQueue<Block>> out, AtomicInteger next) {
    for (int i = next.getAndIncrement(); i < copies.size(); i = next.getAndIncrement()) {
      Filler filler = new Filler(reader, out.get(i));
      try {
        long rows = c.copyOut(copies.get(i), filler, COUNT_EVERY_ROWS, filler::rowsSoFar);
        filler.end(rows);
      } catch (SQLException | IOException | RuntimeException e) {
        out.get(i).add(Block.failed(e));
        return null;
      }
    }
    return null;
  }

  /** What a task given to a reader gave, once it is done; its failure, as it was thrown. */
  static <T> T await(Future<T> future) throws SQLException, IOException {
    try {
      return future.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("the backup was interrupted");
    } catch (ExecutionException e) {
      throw rethrow(e.getCause());
    }
  }

  private static IOException rethrow(Throwable cause) throws SQLException, IOException {
    if (cause instanceof SQLException sql) {
      throw sql;
    }
    if (cause instanceof IOException io) {
      throw io;
    }
    if (cause instanceof RuntimeException runtime) {
      throw runtime;
    }
    throw new IOException(cause);
  }

  /** The rows of every COPY, in blocks, as the readers deliver them; used by the writer's thread alone. */
  static final class Rows {

    private final List<BlockingQueue<Block>> copies;

    private Rows(List<BlockingQueue<Block>> copies) {
      this.copies = copies;
    }

    /** The next block of COPY {@code index}, waiting for it; the last one is the end, with the COPY's row count. */
    Block take(int index) throws SQLException, IOException {
      Block block;
      try {
        block = copies.get(index).take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("the backup was interrupted");
      }
      if (block.failure != null) {
        throw rethrow(block.failure);
      }
      return block;
    }

    /** Gives a written block back to its reader. */
    void release(Block block) {
      if (block.home != null) {
        block.length = 0;
        block.home.add(block);
      }
    }
  }

  /** Rows of one COPY, or its end (no bytes, its total rows), or the failure that ended it. */
  static final class Block {

    final byte[] bytes;
    int length;
    /** Rows of its COPY up to about this block's end; at the end, exactly all of them. */
    long rows;
    final boolean end;
    final Throwable failure;
    private final BlockingQueue<Block> home;

    private Block(byte[] bytes, BlockingQueue<Block> home, boolean end, long rows, Throwable failure) {
      this.bytes = bytes;
      this.home = home;
      this.end = end;
      this.rows = rows;
      this.failure = failure;
    }

    static Block failed(Throwable failure) {
      return new Block(null, null, true, 0, failure);
    }
  }

  /** Gathers one COPY's rows into blocks and hands each on when full; waits for a free block when there is none. */
  private static final class Filler extends OutputStream {

    private final Reader reader;
    private final BlockingQueue<Block> out;
    private Block block;
    private long rows;

    Filler(Reader reader, BlockingQueue<Block> out) {
      this.reader = reader;
      this.out = out;
    }

    void rowsSoFar(long count) {
      rows = count;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
      while (length > 0) {
        if (block == null) {
          block = reader.takeFree();
        }
        int n = Math.min(length, block.bytes.length - block.length);
        System.arraycopy(bytes, offset, block.bytes, block.length, n);
        block.length += n;
        offset += n;
        length -= n;
        if (block.length == block.bytes.length) {
          handOn();
        }
      }
    }

    void end(long total) {
      if (block != null && block.length > 0) {
        handOn();
      }
      out.add(new Block(null, null, true, total, null));
    }

    private void handOn() {
      block.rows = rows;
      out.add(block);
      block = null;
    }
  }

  /** One connection with its thread and its blocks. */
  private static final class Reader {

    final ExecutorService thread;
    final Future<CopyOutConnection> opening;
    private final BlockingQueue<Block> free = new ArrayBlockingQueue<>(BLOCKS_PER_READER);
    /** Blocks made so far; only the reader's thread makes them, when none is free, up to the limit. */
    private int made;

    Reader(ExecutorService thread, Future<CopyOutConnection> opening) {
      this.thread = thread;
      this.opening = opening;
    }

    /** A free block: one given back, a new one while fewer than the limit exist, or else the next given back. */
    Block takeFree() throws InterruptedIOException {
      Block block = free.poll();
      if (block != null) {
        return block;
      }
      if (made < BLOCKS_PER_READER) {
        made++;
        return new Block(new byte[BLOCK_BYTES], free, false, 0, null);
      }
      try {
        return free.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("the backup was stopped");
      }
    }

    CopyOutConnection connection() throws SQLException {
      try {
        return opening.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException("the backup was interrupted while connecting", "08006", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof SQLException sql) {
          throw sql;
        }
        throw new SQLException("the database connection failed: " + e.getCause(), "08006", e.getCause());
      }
    }

    void closeIfOpen() {
      if (opening.isDone()) {
        try {
          opening.get().close();
        } catch (InterruptedException | ExecutionException ignored) {
          // it never opened: nothing to close
        }
      }
    }
  }
}
