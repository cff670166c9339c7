package io.podvault.web;

import io.podvault.auth.CredentialsRefusedException;
import io.podvault.auth.CredentialsRefusedException.Reason;
import io.podvault.auth.Passwords;
import io.podvault.auth.Principal;
import io.podvault.auth.SignInLimits;
import io.podvault.auth.TokenService;
import io.podvault.auth.UserStore;
import io.podvault.config.TrustedProxies;
import io.podvault.contract.Addresses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** {@code /api/auth/*}: sign in, sign out, who am I. */
final class AuthHandlers {

  private final UserStore users;
  private final Passwords passwords;
  private final TokenService tokens;
  private final SignInLimits limits;
  private final TrustedProxies proxies;

  AuthHandlers(UserStore users, Passwords passwords, TokenService tokens, SignInLimits limits, TrustedProxies proxies) {
    this.users = users;
    this.passwords = passwords;
    this.tokens = tokens;
    this.limits = limits;
    this.proxies = proxies;
  }

  void login(RoutingContext ctx) {
    JsonObject body = Requests.jsonBody(ctx);
    String username = Requests.requiredString(body, "username", 255);
    String password = Requests.requiredString(body, "password", 1024);
    limits.admit(username, clientAddress(ctx)).compose(attempt -> signIn(username, password)
        .andThen(done -> attempt.end(wrongPassword(done.cause()))))
      .onSuccess(result -> Responses.json(ctx, 200, result))
      .onFailure(e -> ctx.fail(e instanceof CredentialsRefusedException refused ? refusal(refused) : e));
  }

  /**
   * Checks the password and opens a session. The key's generation is read first: the session opens only if no restore
   * swapped the data (and the user) in while the password was checked.
   */
  private Future<JsonObject> signIn(String username, String password) {
    return tokens.reload().compose(key -> users.findByName(username)
      .compose(account -> passwords.verify(account.map(UserStore.Account::passwordHash).orElse(null), password)
        .compose(matches -> {
          if (!matches) {
            throw new CredentialsRefusedException(Reason.INVALID);
          }
          UserStore.Account user = account.orElseThrow();
          return tokens.issue(key, user.userId()).map(token -> new JsonObject()
            .put("token", token)
            .put("user", new Principal(user.userId(), user.username(), user.admin(), null).toJson()));
        })));
  }

  /** Who signs in: the peer, or behind a trusted proxy the client its X-Forwarded-For names. */
  private String clientAddress(RoutingContext ctx) {
    List<String> forwarded = ctx.request().headers().getAll("X-Forwarded-For");
    return proxies.client(ctx.request().remoteAddress().hostAddress(), forwarded.isEmpty() ? null : String.join(",", forwarded));
  }

  private static boolean wrongPassword(Throwable failure) {
    return failure instanceof CredentialsRefusedException refused && refused.reason() == Reason.INVALID;
  }

  private static ApiException refusal(CredentialsRefusedException refused) {
    return switch (refused.reason()) {
      case INVALID -> ApiException.unauthorized("wrong user name or password");
      case ENDED_BY_RESTORE -> ApiException.restored("the server was restored while you were signing in; sign in again");
    };
  }

  void logout(RoutingContext ctx) {
    Principal caller = Authenticator.principal(ctx);
    if (caller.sessionId() == null) {
      throw ApiException.badRequest("an API key has no session to end; delete the key instead");
    }
    // Told before the session ends: the pages of the session hear it is a sign-out, before the periodic check of the
    // sockets' sessions could find it gone and close them as ended for another reason.
    ctx.vertx().eventBus().publish(Addresses.SESSION_ENDED, new JsonObject().put("session_id", caller.sessionId()));
    tokens.revoke(caller.sessionId())
      .onSuccess(v -> Responses.json(ctx, 200, new JsonObject().put("signed_out", true)))
      .onFailure(ctx::fail);
  }

  void me(RoutingContext ctx) {
    Responses.json(ctx, 200, Authenticator.principal(ctx).toJson());
  }
}
