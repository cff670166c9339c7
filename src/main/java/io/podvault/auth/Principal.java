package io.podvault.auth;

import io.vertx.core.json.JsonObject;

/** The caller of a request: a signed-in user (with a session) or an API key's owner (without). */
public record Principal(int userId, String username, boolean admin, String sessionId) {

  public JsonObject toJson() {
    return new JsonObject().put("id", userId).put("username", username).put("is_admin", admin);
  }
}
