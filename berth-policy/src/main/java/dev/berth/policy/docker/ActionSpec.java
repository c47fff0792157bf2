package dev.berth.policy.docker;

import static java.util.Objects.requireNonNull;

import dev.berth.policy.Action;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Everything berth knows about one Docker action, in one place: its routes (each with its body
 * kind, whether it hijacks the connection, and its Engine API reference), the schema of its JSON
 * body, the query parameters it takes, the object its path names, the object it creates, how the
 * ownership rules treat it, and whether plugin mode judges it. The entries live in {@link
 * DockerApi}; the route table, the query rule, the schema lookup, the ownership rules, the proxy
 * and the plugin all read them.
 *
 * @param action the policy name
 * @param routes method and path template of each endpoint, first match wins across the table
 * @param schema the body schema, present exactly when a route's body is {@link BodyKind#JSON}
 * @param query the parameters a user may send (see {@link QueryParam}); anything else is refused
 * @param names the kind of object the path's first parameter ({@code {id}} or {@code {name*}})
 *     names, if any
 * @param creates the kind of object the action creates and names in its JSON answer ({@code Id}, or
 *     a volume's {@code Name}); images pulled, built or loaded arrive in a progress stream and are
 *     claimed by tag instead, so those actions create none here
 * @param ownership how the ownership rules treat it
 * @param plugin whether plugin mode judges it
 */
public record ActionSpec(
    Action action,
    List<Route> routes,
    Optional<Schema.Struct> schema,
    List<QueryParam> query,
    Optional<ObjectKind> names,
    Optional<ObjectKind> creates,
    Ownership ownership,
    PluginMode plugin) {

  private static final String ENGINE_API =
      "https://docs.docker.com/reference/api/engine/version/v1.51/";
  private static final String MOBY_ROUTER =
      "https://github.com/moby/moby/blob/v28.5.2/api/server/router/";

  public ActionSpec {
    requireNonNull(action, "action");
    routes = List.copyOf(routes);
    requireNonNull(schema, "schema");
    query = List.copyOf(query);
    requireNonNull(names, "names");
    requireNonNull(creates, "creates");
    requireNonNull(ownership, "ownership");
    requireNonNull(plugin, "plugin");
    if (routes.isEmpty()) {
      throw new IllegalArgumentException(action.id() + " has no route");
    }
    boolean json = routes.stream().anyMatch(r -> r.body() == BodyKind.JSON);
    if (json != schema.isPresent()) {
      throw new IllegalArgumentException(
          action.id() + ": a schema goes with a JSON body, and " + "only with one");
    }
    if (ownership == Ownership.NAMED && names.isEmpty()) {
      throw new IllegalArgumentException(action.id() + ": NAMED ownership needs the kind named");
    }
    for (Route r : routes) {
      if (r.action() != action) {
        throw new IllegalArgumentException(r.template() + " belongs to " + r.action().id());
      }
    }
  }

  /** The Engine API reference of the first route (where its query parameters are listed). */
  public String reference() {
    return routes.get(0).reference();
  }

  /** The entry for {@code param} that applies to {@code apiVersion}, if the action takes it. */
  public Optional<QueryParam> param(String param, String apiVersion) {
    for (QueryParam p : query) {
      if (p.name().equals(param) && p.appliesTo(apiVersion)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** Starts an entry (see {@link DockerApi}). */
  static Builder of(Action action) {
    return new Builder(action);
  }

  /** The Engine API reference of an operation: its tag and operation id. */
  static String api(String tag, String operation) {
    return ENGINE_API + "#tag/" + tag + "/operation/" + operation;
  }

  /**
   * moby's router source of {@code handler} in {@code file} (under {@code api/server/router/}), for
   * parameters the daemon reads (or ignores) that the Engine API reference does not list.
   */
  static String router(String file, String handler) {
    return MOBY_ROUTER + file + " (" + handler + ")";
  }

  /** Builds one table entry; each method sets one fact, in the order the record lists them. */
  static final class Builder {
    private final Action action;
    private final List<Route> routes = new ArrayList<>();
    private Schema.@Nullable Struct schema;
    private final List<QueryParam> query = new ArrayList<>();
    private @Nullable ObjectKind names;
    private @Nullable ObjectKind creates;
    private Ownership ownership = Ownership.NONE;
    private PluginMode plugin = PluginMode.JUDGED;

    private Builder(Action action) {
      this.action = action;
    }

    /** An endpoint of this action. */
    Builder route(String method, String template, BodyKind body, String reference) {
      routes.add(Route.of(method, template, action, body, false, reference));
      return this;
    }

    /** An endpoint where the daemon may take the connection over (attach, exec start). */
    Builder hijacking(String method, String template, BodyKind body, String reference) {
      routes.add(Route.of(method, template, action, body, true, reference));
      return this;
    }

    Builder schema(Schema.Struct value) {
      this.schema = value;
      return this;
    }

    /**
     * Parameters forwarded as sent, in every API version berth judges; their reference is the route
     * declared last. (For a range or another treatment, use {@link #query(QueryParam...)} or the
     * methods below.) A daemon of a version that does not know one ignores it, so forwarding it in
     * every version judges no less than the daemon does.
     */
    Builder query(String... params) {
      for (String p : params) {
        query.add(new QueryParam(p, "", "", QueryParam.Treatment.JUDGED, lastReference()));
      }
      return this;
    }

    /** A parameter forwarded as sent, with the rule that judges it named in {@code judgedBy}. */
    Builder judged(String param, String judgedBy) {
      query.add(
          new QueryParam(param, "", "", QueryParam.Treatment.JUDGED, lastReference(), judgedBy));
      return this;
    }

    /**
     * A parameter clients send that the daemon does not read (shown in {@code reference}): removed
     * before forwarding, noted in the audit record; {@code why} says why that is safe.
     */
    Builder dropped(String param, String reference, String why) {
      query.add(new QueryParam(param, "", "", QueryParam.Treatment.DROPPED, reference, why));
      return this;
    }

    /** A parameter the daemon reads that an ordinary user may not send, and why. */
    Builder refused(String param, String reference, String why) {
      query.add(new QueryParam(param, "", "", QueryParam.Treatment.REFUSED, reference, why));
      return this;
    }

    private String lastReference() {
      return routes.get(routes.size() - 1).reference();
    }

    Builder query(QueryParam... params) {
      query.addAll(List.of(params));
      return this;
    }

    Builder names(ObjectKind kind) {
      this.names = kind;
      return this;
    }

    Builder creates(ObjectKind kind) {
      this.creates = kind;
      return this;
    }

    Builder ownership(Ownership value) {
      this.ownership = value;
      return this;
    }

    Builder plugin(PluginMode value) {
      this.plugin = value;
      return this;
    }

    ActionSpec build() {
      return new ActionSpec(
          action,
          routes,
          Optional.ofNullable(schema),
          query,
          Optional.ofNullable(names),
          Optional.ofNullable(creates),
          ownership,
          plugin);
    }
  }
}
