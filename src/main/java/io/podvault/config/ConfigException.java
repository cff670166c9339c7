package io.podvault.config;

/** A configuration value that podvault cannot start with; the message names the key. */
public class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message);
  }
}
