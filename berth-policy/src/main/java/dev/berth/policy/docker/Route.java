package dev.berth.policy.docker;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.Action;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * One entry of the route table: a method and an anchored path template, compiled once.
 *
 * <p>Templates use {@code {id}} for one path segment and {@code {name*}} for one or more segments
 * (image and plugin references contain {@code /}, as dockerd's {@code {name:.*}}).
 *
 * @param hijacks whether the daemon may take the connection over (attach, exec start, session)
 * @param reference where the Engine API reference (or moby's source) defines the endpoint
 */
public record Route(
    String method,
    String template,
    Action action,
    BodyKind body,
    boolean hijacks,
    String reference,
    Pattern pattern,
    List<String> params) {

  public Route {
    requireNonNull(method, "method");
    requireNonNull(template, "template");
    requireNonNull(action, "action");
    requireNonNull(body, "body");
    requireNonNull(reference, "reference");
    requireNonNull(pattern, "pattern");
    params = List.copyOf(params);
  }

  static Route of(
      String method,
      String template,
      Action action,
      BodyKind body,
      boolean hijacks,
      String reference) {
    StringBuilder regex = new StringBuilder("^");
    List<String> params = new ArrayList<>();
    Matcher m = Pattern.compile("\\{([a-z]+)(\\*?)}|[^{]+").matcher(template);
    while (m.find()) {
      if (m.group(1) != null) {
        params.add(m.group(1));
        regex.append(m.group(2).isEmpty() ? "([^/]+)" : "([^/]+(?:/[^/]+)*)");
      } else {
        regex.append(Pattern.quote(m.group()));
      }
    }
    regex.append('$');
    return new Route(
        method,
        template,
        action,
        body,
        hijacks,
        reference,
        Pattern.compile(regex.toString()),
        params);
  }

  /** The path parameters when this route matches, or null. */
  @Nullable Map<String, String> match(String reqMethod, String path) {
    if (!method.equals(reqMethod)) {
      return null;
    }
    Matcher m = pattern.matcher(path);
    if (!m.matches()) {
      return null;
    }
    if (params.isEmpty()) {
      return Map.of();
    }
    Map<String, String> values = new HashMap<>();
    for (int i = 0; i < params.size(); i++) {
      values.put(params.get(i), m.group(i + 1));
    }
    return Map.copyOf(values);
  }
}
