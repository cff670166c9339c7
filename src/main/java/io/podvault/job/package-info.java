/**
 * The worker verticle and its jobs. Requests and upload events arrive over the event bus and are handled on
 * the verticle's worker context with Vert.x futures. Each job then runs on the job thread, where its code
 * blocks (JDBC, files): it hands a restore what arrives in the restore code's own terms (stored bytes, the
 * password) and waits for a backup's client only through {@link io.podvault.job.StreamSender}'s credits. Jobs
 * report back by publishing events and sending messages, never by completing something the event-bus side
 * waits on.
 */
package io.podvault.job;
