package io.podvault.auth;

import io.vertx.core.Future;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure someone can sign in: when no administrator exists, the configured one is created (or, if a
 * user of that name exists, made administrator) with the configured password or a generated one that is
 * printed once.
 */
public final class AdminBootstrap {

  private static final Logger LOG = LoggerFactory.getLogger(AdminBootstrap.class);

  private AdminBootstrap() {
  }

  public static Future<Void> ensureAdministrator(UserStore users, Passwords passwords, String username, String configuredPassword) {
    return users.anyAdministrator().compose(present -> {
      if (present) {
        return Future.succeededFuture();
      }
      String password = configuredPassword != null ? configuredPassword : generatePassword();
      return passwords.hash(password)
        .compose(hash -> users.findByName(username).compose(existing -> existing.isPresent()
          ? users.makeAdministrator(username, hash)
          : users.create(username, "Administrator", null, hash, true).mapEmpty()))
        .onSuccess(v -> {
          LOG.info("No administrator existed: '{}' is now the administrator", username);
          if (configuredPassword == null) {
            System.out.println("podvault: administrator '" + username + "' created with password: " + password);
          }
        });
    });
  }

  private static String generatePassword() {
    byte[] bytes = new byte[15];
    new SecureRandom().nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
