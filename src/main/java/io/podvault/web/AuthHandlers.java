package io.podvault.web;

import io.podvault.auth.AttemptLimiter;
import io.podvault.auth.CredentialsRefusedException;
import io.podvault.auth.Passwords;
import io.podvault.auth.Principal;
import io.podvault.auth.TokenService;
import io.podvault.auth.UserStore;
import io.podvault.job.Addresses;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/** {@code /api/auth/*}: sign in, sign out, who am I. */
final class AuthHandlers {

  private static final int MAX_FAILURES_PER_USER = 10;
  private static final int MAX_FAILURES_PER_ADDRESS = 50;
  private static final long WINDOW_MILLIS = 15 * 60 * 1000L;

  private final UserStore users;
  private final Passwords passwords;
  private final TokenService tokens;
  private final AttemptLimiter perUser = new AttemptLimiter(MAX_FAILURES_PER_USER, WINDOW_MILLIS);
  private final AttemptLimiter perAddress = new AttemptLimiter(MAX_FAILURES_PER_ADDRESS, WINDOW_MILLIS);

  AuthHandlers(UserStore users, Passwords passwords, TokenService tokens) {
    this.users = users;
    this.passwords = passwords;
    this.tokens = tokens;
  }

  void login(RoutingContext ctx) {
    JsonObject body = Requests.jsonBody(ctx);
    String username = Requests.requiredString(body, "username", 255);
    String password = Requests.requiredString(body, "password", 1024);
    String userKey = username.toLowerCase(Locale.ROOT);
    String addressKey = ctx.request().remoteAddress().hostAddress();
    long now = System.currentTimeMillis();
    long wait = Math.max(perUser.retryAfterSeconds(userKey, now), perAddress.retryAfterSeconds(addressKey, now));
    if (wait > 0) {
      ctx.response().putHeader("Retry-After", Long.toString(wait));
      throw new ApiException(429, "rate_limited", "too many failed sign-ins; try again in " + wait + " seconds");
    }
    // The key's generation is read first: the session opens only if no restore swapped the data (and the user)
    // in while the password was checked.
    tokens.reload().compose(key -> users.findByName(username)
      .compose(account -> passwords.verify(account.map(UserStore.Account::passwordHash).orElse(null), password)
        .compose(matches -> {
          if (!matches) {
            long failedAt = System.currentTimeMillis();
            perUser.recordFailure(userKey, failedAt);
            perAddress.recordFailure(addressKey, failedAt);
            throw ApiException.unauthorized("wrong user name or password");
          }
          perUser.reset(userKey);
          UserStore.Account user = account.orElseThrow();
          return tokens.issue(key, user.userId()).map(token -> new JsonObject()
            .put("token", token)
            .put("user", new Principal(user.userId(), user.username(), user.admin(), null).toJson()));
        })))
      .onSuccess(result -> Responses.json(ctx, 200, result))
      .onFailure(e -> ctx.fail(e instanceof CredentialsRefusedException
        ? ApiException.restored("the server was restored while you were signing in; sign in again")
        : e));
  }

  void logout(RoutingContext ctx) {
    Principal caller = Authenticator.principal(ctx);
    if (caller.sessionId() == null) {
      throw ApiException.badRequest("an API key has no session to end; delete the key instead");
    }
    tokens.revoke(caller.sessionId())
      .onSuccess(v -> {
        ctx.vertx().eventBus().publish(Addresses.SESSION_ENDED, new JsonObject().put("session_id", caller.sessionId()));
        Responses.json(ctx, 200, new JsonObject().put("signed_out", true));
      })
      .onFailure(ctx::fail);
  }

  void me(RoutingContext ctx) {
    Responses.json(ctx, 200, Authenticator.principal(ctx).toJson());
  }
}
