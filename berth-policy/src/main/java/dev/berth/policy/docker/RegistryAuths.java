package dev.berth.policy.docker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.RequestException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;

/**
 * The credentials a build request carries for the registry of one image: the entry of its {@code
 * X-Registry-Config} header (base64url JSON, registry to credentials, every registry the CLI knows)
 * that the daemon itself would use for a pull of that image, as the {@code X-Registry-Auth} of a
 * pull (base64url JSON of that one entry).
 *
 * <p>The entry is chosen as moby's {@code registry.ResolveAuthConfig} chooses it: for Docker Hub
 * the key {@value #HUB_KEY}; for any other registry the key that is its host, or whose host (the
 * key without {@code http://} or {@code https://} and without any path) is.
 */
public final class RegistryAuths {
  /** The key the CLI stores Docker Hub's credentials under. */
  static final String HUB_KEY = "https://index.docker.io/v1/";

  private RegistryAuths() {}

  /**
   * The {@code X-Registry-Auth} for pulling {@code image} (canonical name) with the credentials of
   * {@code registryConfig}; "" when it names none for that registry or cannot be read (the pull
   * then goes without credentials, as the daemon's would).
   */
  public static String forImage(String registryConfig, String image) {
    if (registryConfig.isBlank()) {
      return "";
    }
    JsonNode config;
    try {
      config = DockerJson.parse(Base64.getUrlDecoder().decode(registryConfig.strip()));
    } catch (IllegalArgumentException | RequestException e) {
      return "";
    }
    String registry = ImageRef.parse(image).registry();
    JsonNode entry = null;
    if (registry.equals(ImageRef.HUB)) {
      entry = config.get(HUB_KEY);
    } else {
      for (Iterator<Map.Entry<String, JsonNode>> it = config.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (host(e.getKey()).equals(registry)) {
          entry = e.getValue();
          break;
        }
      }
    }
    if (entry == null || !entry.isObject()) {
      return "";
    }
    return Base64.getUrlEncoder().encodeToString(entry.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** moby's {@code ConvertToHostname}: without the scheme and anything after the host. */
  static String host(String key) {
    String h = key;
    if (h.startsWith("http://")) {
      h = h.substring("http://".length());
    } else if (h.startsWith("https://")) {
      h = h.substring("https://".length());
    }
    int slash = h.indexOf('/');
    return slash < 0 ? h : h.substring(0, slash);
  }
}
