package io.podvault.web;

import io.podvault.auth.CredentialsRefusedException;
import io.podvault.auth.CredentialsRefusedException.Reason;
import io.podvault.auth.Passwords;
import io.podvault.auth.Principal;
import io.podvault.auth.SignInLimits;
import io.podvault.auth.TokenService;
import io.podvault.auth.UserStore;
import io.podvault.contract.Addresses;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** {@code /api/auth/*}: sign in, sign out, who am I. */
final class AuthHandlers {

  private final UserStore users;
  private final Passwords passwords;
  private final TokenService tokens;
  private final SignInLimits limits = new SignInLimits();

  AuthHandlers(UserStore users, Passwords passwords, TokenService tokens) {
    this.users = users;
    this.passwords = passwords;
    this.tokens = tokens;
  }

  void login(RoutingContext ctx) {
    JsonObject body = Requests.jsonBody(ctx);
    String username = Requests.requiredString(body, "username", 255);
    String password = Requests.requiredString(body, "password", 1024);
    SignInLimits.Attempt attempt =
      limits.admit(username, ctx.request().remoteAddress().hostAddress(), System.currentTimeMillis());
    // The key's generation is read first: the session opens only if no restore swapped the data (and the user)
    // in while the password was checked.
    tokens.reload().compose(key -> users.findByName(username)
      .compose(account -> passwords.verify(account.map(UserStore.Account::passwordHash).orElse(null), password)
        .compose(matches -> {
          if (!matches) {
            throw new CredentialsRefusedException(Reason.INVALID);
          }
          UserStore.Account user = account.orElseThrow();
          return tokens.issue(key, user.userId()).map(token -> new JsonObject()
            .put("token", token)
            .put("user", new Principal(user.userId(), user.username(), user.admin(), null).toJson()));
        })))
      .andThen(done -> attempt.end(wrongPassword(done.cause()), System.currentTimeMillis()))
      .onSuccess(result -> Responses.json(ctx, 200, result))
      .onFailure(e -> ctx.fail(e instanceof CredentialsRefusedException refused ? refusal(refused) : e));
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
