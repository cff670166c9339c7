package io.podvault.web;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

final class Responses {

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
    json(ctx, status, new JsonObject().put("error", message).put("code", code));
  }
}
