package io.podvault.db;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thing a job will need, made ahead of it on a daemon thread of its own: the next backup's connections, the
 * next restore's spare schema. A job takes it (waiting if it is still being made, which is sooner than making
 * another) and owns it from then on; {@link #prepare} makes the next one. Closing disposes of one left untaken and
 * makes no more.
 *
 * @param <T> what is made
 */
public final class MadeAhead<T> {

  /** Makes the thing; a failure leaves the job to do without it. */
  public interface Maker<T> {
    T make() throws Exception;
  }

  private static final Logger LOG = LoggerFactory.getLogger(MadeAhead.class);

  private final String what;
  private final Maker<T> maker;
  private final Consumer<T> dispose;
  private final ExecutorService thread;
  /** The one being made or ready, null when none is; guarded by this. */
  private Future<T> next;
  private boolean closed;

  /**
   * @param what names the thing in the thread's name and the log
   * @param dispose undoes what {@code maker} made, for one nobody took
   */
  public MadeAhead(String what, Maker<T> maker, Consumer<T> dispose) {
    this.what = what;
    this.maker = maker;
    this.dispose = dispose;
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "podvault-ahead-" + what.replace(' ', '-'));
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts making one unless one is ready or being made; returns at once. */
  public synchronized void prepare() {
    if (!closed && next == null) {
      next = thread.submit(maker::make);
    }
  }

  /** The one made ahead, waiting for it if it is being made; null when none was prepared or making it failed. */
  public T take() {
    Future<T> taken;
    synchronized (this) {
      taken = next;
      next = null;
    }
    return taken == null ? null : await(taken);
  }

  /** Makes no more, and disposes of one nobody took (waiting for it if it is being made). */
  public void close() {
    Future<T> last;
    synchronized (this) {
      closed = true;
      last = next;
      next = null;
    }
    thread.shutdown();
    if (last != null) {
      T left = await(last);
      if (left != null) {
        dispose.accept(left);
      }
    }
  }

  private T await(Future<T> made) {
    try {
      return made.get();
    } catch (ExecutionException | CancellationException e) {
      LOG.info("No {} made ahead (making it failed: {})", what, e.getCause() != null ? e.getCause().toString() : e.toString());
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
