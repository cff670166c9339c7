package io.podvault.web;

import io.podvault.auth.ApiKeyStore;
import io.podvault.auth.CredentialsRefusedException;
import io.podvault.auth.Principal;
import io.podvault.auth.TokenService;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * Finds the caller of an {@code /api/*} request from {@code Authorization: Bearer <token>} or
 * PinePods' {@code Api-Key: <key>} header, and keeps it in the context for the handlers.
 */
final class Authenticator implements Handler<RoutingContext> {

  private static final String PRINCIPAL = "podvault.principal";
  static final String FORM_TOKEN = "access_token";

  private final TokenService tokens;
  private final ApiKeyStore apiKeys;

  Authenticator(TokenService tokens, ApiKeyStore apiKeys) {
    this.tokens = tokens;
    this.apiKeys = apiKeys;
  }

  static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  /** Only administrators pass. */
  static void requireAdmin(RoutingContext ctx) {
    if (!principal(ctx).admin()) {
      throw ApiException.forbidden("this needs an administrator");
    }
    ctx.next();
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (!ctx.request().isEnded()) {
      // An upload waits, unread, until the caller is known; the body handler after this one resumes it.
      ctx.request().pause();
    }
    String authorization = ctx.request().getHeader("Authorization");
    if (authorization == null && Requests.isForm(ctx) && ctx.request().getFormAttribute(FORM_TOKEN) != null) {
      // A form post cannot carry headers; RFC 6750 lets it carry the bearer token as a field.
      authorization = "Bearer " + ctx.request().getFormAttribute(FORM_TOKEN);
    }
    String apiKey = ctx.request().getHeader("Api-Key");
    Future<Principal> caller;
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      caller = tokens.authenticate(authorization.substring(7).trim());
    } else if (apiKey != null && !apiKey.isBlank()) {
      caller = apiKeys.authenticate(apiKey.trim()).map(found -> found.orElseThrow(
        () -> new CredentialsRefusedException(CredentialsRefusedException.Reason.INVALID)));
    } else {
      ctx.fail(ApiException.unauthorized("sign in first: send Authorization: Bearer <token> or Api-Key: <key>"));
      return;
    }
    caller
      .onSuccess(principal -> {
        ctx.put(PRINCIPAL, principal);
        ctx.next();
      })
      .onFailure(e -> ctx.fail(e instanceof CredentialsRefusedException refused ? refusal(refused) : e));
  }

  /** The answer to a refused token or key; other failures (the database unreachable) go on as they are. */
  private static ApiException refusal(CredentialsRefusedException refused) {
    return switch (refused.reason()) {
      case ENDED_BY_RESTORE -> ApiException.restored("the server was restored; sign in again");
      case INVALID -> ApiException.unauthorized("your token or API key is not valid (expired, revoked or unknown); sign in again");
    };
  }
}
