package io.podvault.config;

import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.util.Properties;

/** Where the database is and how to sign in to it, for both the reactive client and JDBC. */
public record DbCoordinates(String host, int port, String database, String user, String password) {

  public static DbCoordinates fromUrl(String url) {
    return DbUrl.parse(url);
  }

  public PgConnectOptions connectOptions() {
    return new PgConnectOptions()
      .setHost(host)
      .setPort(port)
      .setDatabase(database)
      .setUser(user)
      .setPassword(password);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://" + host + ":" + port + "/" + database;
  }

  /** JDBC properties for this role with the given password (the backup checks a typed password this way). */
  public Properties jdbcProperties(String withPassword) {
    Properties props = new Properties();
    props.setProperty("user", user);
    props.setProperty("password", withPassword);
    props.setProperty("ApplicationName", "podvault");
    props.setProperty("connectTimeout", "10");
    return props;
  }

  public Properties jdbcProperties() {
    return jdbcProperties(password);
  }

  public DbCoordinates withPassword(String otherPassword) {
    return new DbCoordinates(host, port, database, user, otherPassword);
  }

  public DbCoordinates withDatabase(String otherDatabase) {
    return new DbCoordinates(host, port, otherDatabase, user, password);
  }

  public JsonObject toJson() {
    return new JsonObject().put("host", host).put("port", port).put("database", database)
      .put("user", user).put("password", password);
  }

  public static DbCoordinates fromJson(JsonObject json) {
    return new DbCoordinates(json.getString("host"), json.getInteger("port"), json.getString("database"),
      json.getString("user"), json.getString("password"));
  }

  @Override
  public String toString() {
    return user + "@" + host + ":" + port + "/" + database;
  }
}
