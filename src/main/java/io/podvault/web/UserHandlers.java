package io.podvault.web;

import io.podvault.auth.Passwords;
import io.podvault.auth.UserStore;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.pgclient.PgException;

/** {@code /api/admin/users}: administrators list and create accounts. */
final class UserHandlers {

  static final int MIN_PASSWORD_LENGTH = 8;

  private final UserStore users;
  private final Passwords passwords;

  UserHandlers(UserStore users, Passwords passwords) {
    this.users = users;
    this.passwords = passwords;
  }

  void list(RoutingContext ctx) {
    users.list().onSuccess(list -> Responses.json(ctx, 200, list)).onFailure(ctx::fail);
  }

  void create(RoutingContext ctx) {
    JsonObject body = Requests.jsonBody(ctx);
    String username = Requests.requiredString(body, "username", 255);
    String password = Requests.requiredString(body, "password", 1024);
    String email = Requests.optionalString(body, "email", 255);
    String fullName = Requests.optionalString(body, "fullname", 255);
    boolean admin = Requests.optionalBoolean(body, "is_admin");
    if (username.chars().anyMatch(Character::isISOControl) || !username.strip().equals(username)) {
      throw ApiException.badRequest("the user name must not contain control characters or surrounding spaces");
    }
    if (password.length() < MIN_PASSWORD_LENGTH) {
      throw ApiException.badRequest("the password must have at least " + MIN_PASSWORD_LENGTH + " characters");
    }
    passwords.hash(password)
      .compose(hash -> users.create(username, fullName, email, hash, admin))
      .onSuccess(id -> Responses.json(ctx, 201,
        new JsonObject().put("id", id).put("username", username).put("is_admin", admin)))
      .onFailure(e -> {
        if (e instanceof PgException pg && "23505".equals(pg.getSqlState())) {
          ctx.fail(ApiException.conflict("a user named '" + username + "' already exists"));
        } else {
          ctx.fail(e);
        }
      });
  }
}
