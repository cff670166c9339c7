/**
 * Reading, checking and loading a backup file. A restore is one pass: the validator ({@link
 * io.podvault.restore.BackupReader}, then {@link io.podvault.restore.BackupValidator} or {@link
 * io.podvault.restore.PinePodsValidator}) reads the {@link io.podvault.restore.StoredUpload} as it arrives and
 * tells the {@link io.podvault.restore.ShadowLoader} ({@link io.podvault.restore.CheckedRows}) where the checked
 * rows lie; the loader copies them into its shadow schema behind the validator and rebuilds keys, indexes and
 * foreign keys as tables become ready; {@link io.podvault.restore.SchemaSwap} swaps the result in.
 *
 * <p>Code here runs on plain threads that block (the job thread and the loader's workers), never on an event
 * loop. Threads wait in two ways only: for a position in a file to advance ({@link
 * io.podvault.restore.Watermark}: the stored upload, a table's checked rows) and for steps of work ({@link
 * io.podvault.restore.ParallelSteps}). The one value that arrives once from outside, the password, is a
 * {@code CompletableFuture}; the spare schema made ahead of a restore ({@link io.podvault.restore.SpareShadow}) is
 * waited for through {@link io.podvault.db.MadeAhead}.
 */
package io.podvault.restore;
