package dev.berth.plugin;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.Nullable;

/**
 * The plugin's answer. A denial is {@code 200} with {@code Allow:false} and a {@code Msg} the
 * daemon shows as {@code authorization denied by plugin berth: <Msg>}; an internal error is {@code
 * 500} with {@code Err} (the daemon ignores {@code Err} on a 200, so an error must never be sent as
 * one).
 *
 * @param httpStatus the HTTP status to answer with (not part of the JSON)
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
record AuthzAnswer(
    @JsonProperty("Allow") boolean allow,
    @JsonProperty("Msg") String msg,
    @JsonProperty("Err") String err,
    @JsonIgnore int httpStatus) {

  static AuthzAnswer allowed() {
    return new AuthzAnswer(true, "", "", 200);
  }

  static AuthzAnswer denied(@Nullable String msg) {
    return new AuthzAnswer(false, msg == null ? "" : msg, "", 200);
  }

  static AuthzAnswer error(String err) {
    return new AuthzAnswer(false, "", err, 500);
  }
}
