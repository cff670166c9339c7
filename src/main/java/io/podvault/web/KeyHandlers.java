package io.podvault.web;

import io.podvault.auth.ApiKeyStore;
import io.vertx.ext.web.RoutingContext;

/** {@code /api/keys}: a user's own API keys. */
final class KeyHandlers {

  private final ApiKeyStore apiKeys;

  KeyHandlers(ApiKeyStore apiKeys) {
    this.apiKeys = apiKeys;
  }

  void create(RoutingContext ctx) {
    apiKeys.create(Authenticator.principal(ctx).userId())
      .onSuccess(key -> Responses.json(ctx, 201, key))
      .onFailure(ctx::fail);
  }

  void list(RoutingContext ctx) {
    apiKeys.list(Authenticator.principal(ctx).userId())
      .onSuccess(keys -> Responses.json(ctx, 200, keys))
      .onFailure(ctx::fail);
  }

  void delete(RoutingContext ctx) {
    int keyId = Requests.pathInt(ctx, "id");
    apiKeys.delete(Authenticator.principal(ctx).userId(), keyId)
      .onSuccess(deleted -> {
        if (!deleted) {
          ctx.fail(ApiException.notFound("you have no API key " + keyId));
        } else {
          ctx.response().setStatusCode(204).end();
        }
      })
      .onFailure(ctx::fail);
  }
}
