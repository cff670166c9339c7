package io.podvault.web;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

final class Responses {

  private static final long DISCARD_MILLIS = 30_000;

  private Responses() {
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  static void json(RoutingContext ctx, int status, JsonArray body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }

  static void error(RoutingContext ctx, int status, String code, String message) {
    if (ctx.response().headWritten()) {
      // The body has begun (a streaming download): only breaking the connection tells the client.
      ctx.response().reset();
      return;
    }
    if (!ctx.request().isEnded()) {
      // Refused before its body was read (too large, not signed in): read the rest and throw it away, so the
      // client can finish sending and see this answer; a client that never finishes is cut off.
      HttpServerRequest request = ctx.request();
      request.handler(ignored -> { }).endHandler(null).resume();
      long timer = ctx.vertx().setTimer(DISCARD_MILLIS, id -> {
        if (!request.isEnded()) {
          request.connection().close();
        }
      });
      request.endHandler(v -> ctx.vertx().cancelTimer(timer));
    }
    json(ctx, status, new JsonObject().put("error", message).put("code", code));
  }
}
