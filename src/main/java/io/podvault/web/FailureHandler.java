package io.podvault.web;

import io.podvault.auth.PasswordQueueFullException;
import io.podvault.auth.TooManyAttemptsException;
import io.podvault.db.DatabaseUnavailableException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns every failed request into the JSON error shape {@code {"error","code"}}. */
final class FailureHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);
  private static final long DATABASE_RETRY_AFTER_SECONDS = 5;
  private static final long HASHING_RETRY_AFTER_SECONDS = 2;

  @Override
  public void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException e) {
      Responses.error(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    if (failure instanceof DatabaseUnavailableException) {
      LOG.warn("Request {} {}: {}", ctx.request().method(), ctx.request().path(), failure.getMessage());
      retryLater(ctx, 503, "database_unavailable", DATABASE_RETRY_AFTER_SECONDS,
        "the server is unavailable: its database cannot be reached; try again shortly");
      return;
    }
    if (failure instanceof PasswordQueueFullException) {
      retryLater(ctx, 503, "server_busy", HASHING_RETRY_AFTER_SECONDS,
        "the server is busy checking other passwords; try again in a few seconds");
      return;
    }
    if (failure instanceof TooManyAttemptsException e) {
      retryLater(ctx, 429, "rate_limited", e.retryAfterSeconds(), switch (e.reason()) {
        case TOO_MANY_FAILURES -> "too many failed sign-ins; try again in " + e.retryAfterSeconds() + " seconds";
        case TOO_MANY_AT_ONCE -> "too many sign-ins at once from your address; wait for them to finish";
      });
      return;
    }
    int status = failure instanceof HttpException h ? h.getStatusCode() : ctx.statusCode();
    switch (status) {
      case 400 -> Responses.error(ctx, 400, "bad_request", "the request is malformed");
      case 401 -> Responses.error(ctx, 401, "unauthorized", "sign in first");
      case 403 -> Responses.error(ctx, 403, "forbidden", "this needs an administrator");
      case 404 -> Responses.error(ctx, 404, "not_found", "no such resource");
      case 405 -> Responses.error(ctx, 405, "method_not_allowed", "this method is not allowed here");
      case 413 -> Responses.error(ctx, 413, "too_large", "the request body is larger than this server accepts");
      default -> {
        LOG.error("Request {} {} failed", ctx.request().method(), ctx.request().path(), failure);
        Responses.error(ctx, 500, "internal_error", "the server failed to handle this request; its log has the details");
      }
    }
  }

  private static void retryLater(RoutingContext ctx, int status, String code, long retryAfterSeconds, String message) {
    if (!ctx.response().headWritten()) {
      ctx.response().putHeader("Retry-After", Long.toString(retryAfterSeconds));
    }
    Responses.error(ctx, status, code, message);
  }
}
