package io.podvault.web;

import io.podvault.db.DatabaseUnavailableException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns every failed request into the JSON error shape {@code {"error","code"}}. */
final class FailureHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);
  private static final String DATABASE_RETRY_AFTER_SECONDS = "5";

  @Override
  public void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException e) {
      Responses.error(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    if (failure instanceof DatabaseUnavailableException) {
      LOG.warn("Request {} {}: {}", ctx.request().method(), ctx.request().path(), failure.getMessage());
      if (!ctx.response().headWritten()) {
        ctx.response().putHeader("Retry-After", DATABASE_RETRY_AFTER_SECONDS);
      }
      Responses.error(ctx, 503, "database_unavailable",
        "the server is unavailable: its database cannot be reached; try again shortly");
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
}
