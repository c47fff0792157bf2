package dev.berth.plugin;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What the daemon sends to {@code /AuthZPlugin.AuthZReq} and {@code /AuthZPlugin.AuthZRes}, with
 * the field names moby's {@code pkg/authorization} really uses (they differ from the documentation:
 * {@code RequestUri}, {@code RequestHeaders}, single-valued headers). Byte fields arrive
 * base64-encoded, as Go encodes {@code []byte}; each peer certificate is base64 of its PEM text.
 * Every field may be absent.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record AuthzMessage(
    @JsonProperty("User") String user,
    @JsonProperty("UserAuthNMethod") String userAuthNMethod,
    @JsonProperty("RequestMethod") String requestMethod,
    @JsonProperty("RequestUri") String requestUri,
    @JsonProperty("RequestBody") byte[] requestBody,
    @JsonProperty("RequestHeaders") Map<String, String> requestHeaders,
    @JsonProperty("RequestPeerCertificates") List<String> requestPeerCertificates,
    @JsonProperty("ResponseStatusCode") int responseStatusCode,
    @JsonProperty("ResponseBody") byte[] responseBody,
    @JsonProperty("ResponseHeaders") Map<String, String> responseHeaders) {

  AuthzMessage {
    user = user == null ? "" : user;
    userAuthNMethod = userAuthNMethod == null ? "" : userAuthNMethod;
    requestMethod = requestMethod == null ? "" : requestMethod;
    requestUri = requestUri == null ? "" : requestUri;
    requestBody = requestBody == null ? new byte[0] : requestBody;
    requestHeaders = requestHeaders == null ? Map.of() : Map.copyOf(requestHeaders);
    requestPeerCertificates =
        requestPeerCertificates == null ? List.of() : List.copyOf(requestPeerCertificates);
    responseBody = responseBody == null ? new byte[0] : responseBody;
    responseHeaders = responseHeaders == null ? Map.of() : Map.copyOf(responseHeaders);
  }

  /** A request header by name, case-insensitively (Go canonicalises the names). */
  @Nullable String header(String name) {
    for (Map.Entry<String, String> e : requestHeaders.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }
}
