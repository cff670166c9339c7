package io.podvault.web;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reading and checking request bodies, failing fast with a message that says what is wrong. */
final class Requests {

  private Requests() {
  }

  /** A plain HTML form post, which is how a browser hands a download to its own download manager. */
  static boolean isForm(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    return contentType != null && contentType.toLowerCase().startsWith("application/x-www-form-urlencoded");
  }

  /**
   * The body of a request that a browser may also send as a plain form post (a download its download manager
   * writes): these fields of the form, or else the JSON object.
   */
  static JsonObject formOrJsonBody(RoutingContext ctx, String... fields) {
    if (!isForm(ctx)) {
      return jsonBody(ctx);
    }
    JsonObject body = new JsonObject();
    for (String field : fields) {
      body.put(field, ctx.request().getFormAttribute(field));
    }
    return body;
  }

  static JsonObject jsonBody(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType == null || !contentType.toLowerCase().startsWith("application/json")) {
      throw new ApiException(415, "unsupported_media_type", "send the request body as application/json");
    }
    if (ctx.body() == null || ctx.body().length() == 0) {
      throw ApiException.badRequest("the request body is empty; send a JSON object");
    }
    try {
      Object value = ctx.body().asJsonObject();
      if (value == null) {
        throw ApiException.badRequest("the request body must be a JSON object");
      }
      return (JsonObject) value;
    } catch (DecodeException | ClassCastException e) {
      throw ApiException.badRequest("the request body is not a valid JSON object");
    }
  }

  /** A required, non-blank string field of at most {@code maxLength} characters. */
  static String requiredString(JsonObject body, String field, int maxLength) {
    Object value = body.getValue(field);
    if (value == null) {
      throw ApiException.badRequest("the field '" + field + "' is missing");
    }
    if (!(value instanceof String) || ((String) value).isBlank()) {
      throw ApiException.badRequest("the field '" + field + "' must be a non-empty string");
    }
    String text = (String) value;
    if (text.length() > maxLength) {
      throw ApiException.badRequest("the field '" + field + "' is longer than " + maxLength + " characters");
    }
    return text;
  }

  static String optionalString(JsonObject body, String field, int maxLength) {
    return body.getValue(field) == null ? null : requiredString(body, field, maxLength);
  }

  static boolean optionalBoolean(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return false;
    }
    if (!(value instanceof Boolean)) {
      throw ApiException.badRequest("the field '" + field + "' must be true or false");
    }
    return (Boolean) value;
  }

  static int pathInt(RoutingContext ctx, String name) {
    try {
      return Integer.parseInt(ctx.pathParam(name));
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("'" + ctx.pathParam(name) + "' is not a valid " + name);
    }
  }
}
