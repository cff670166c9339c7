/**
 * Writing a backup: the catalog read, the schema script, the dumper with its row readers, the file's format and
 * seal, PinePods' data-only script; the migrations' catalog and the check of the live schema against it.
 *
 * <p>Waiting, in this package: work that runs beside the dumping thread (each row reader on a single-thread executor
 * of its own, the seal's key on a thread of its own) gives back what it computes once (a connection, counts, a
 * commit, the key) as a {@link java.util.concurrent.Future}, and rows pass to the dumping thread through
 * {@link java.util.concurrent.BlockingQueue}s, bounded by each reader's fixed set of blocks. Nothing here uses
 * wait/notify, semaphores or CompletableFuture chains.
 */
package io.podvault.dump;
