package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnershipRules.ownerFilter;
import static dev.berth.policy.rules.OwnershipRules.shownNames;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision.FollowUp;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageClaims;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;
import dev.berth.policy.QueryParams;
import dev.berth.policy.RequestException;
import java.util.List;
import java.util.Set;

/**
 * Lists, prunes and events narrowed to the caller's objects (label filters are conjunctive on all
 * of them), and {@code system df}, which cannot be filtered, rewritten on the way back. List
 * answers name the caller's objects in the caller's names ({@link PrivateNames}).
 */
final class ListOwnership {
  /**
   * The lists whose {@code name} filter berth applies in the caller's names ({@link NameFilter}).
   */
  private static final Set<Action> NAME_FILTERED =
      Set.of(Action.CONTAINER_LIST, Action.NETWORK_LIST, Action.VOLUME_LIST);

  private ListOwnership() {}

  /**
   * A list, prune or event stream narrowed to the caller's objects.
   *
   * @param asSent whether the request reaches the daemon as sent (plugin mode): image filters are
   *     then not translated ({@link ImageFilters})
   */
  static Step narrowed(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      Action action,
      PrivateNames names,
      ObjectDirectory objects,
      boolean asSent)
      throws RequestException, LookupException, Refusal {
    String label = ownerFilter(who, grant);
    String filters = Filters.withLabel(request.query().get("filters"), label);
    if (!asSent && action == Action.CONTAINER_LIST) {
      filters = ImageFilters.ancestors(filters, who, grant, objects);
      filters = containerOrder(filters, who, grant, objects, names);
    } else if (!asSent && action == Action.SYSTEM_EVENTS) {
      filters = ImageFilters.eventImages(filters, who.uid());
    }
    Set<String> named =
        action == Action.SYSTEM_EVENTS
            ? Set.of("container", "network", "volume")
            : action == Action.CONTAINER_LIST ? Set.of("network", "volume") : Set.of();
    if (!names.equals(PrivateNames.NONE) && !named.isEmpty()) {
      filters =
          Filters.alsoAs(
              filters,
              named,
              (key, v) -> key.equals("network") ? names.network(v) : names.toDaemon(v));
    }
    QueryParams query = request.query();
    NameFilter byName = NameFilter.of(List.of());
    if (!names.equals(PrivateNames.NONE) && NAME_FILTERED.contains(action)) {
      byName = NameFilter.of(Filters.values(filters, "name"));
      if (!byName.isEmpty()) {
        filters = Filters.without(filters, "name");
        query = withoutLimit(query);
      }
    }
    Step step =
        new Step(
            request.withQuery(query.with("filters", filters)),
            action == Action.SYSTEM_EVENTS || action.name().endsWith("_PRUNE")
                ? FollowUp.NONE
                : shownNames(who, grant, names, byName, limit(request.query())));
    step.note("filters narrowed to label " + label);
    if (!byName.isEmpty()) {
      step.note("name filters applied by berth in your names");
    }
    return step;
  }

  /**
   * {@code filters} (canonical) of a container list with each {@code before}/{@code since} the full
   * id of the container it names. The daemon resolves each value among every container ({@code
   * GetContainer} in moby {@code daemon/list.go}, an error when there is none), so as given it
   * would miss the caller's own private names ({@code web} is {@code u1001_web}) and tell apart
   * another user's container from none. Resolved as every container reference of the caller (own
   * name first, then an id or name the caller's owner label reaches); anything else is {@code No
   * such container}, as a missing container is on the daemon.
   */
  private static String containerOrder(
      String filters, Principal who, Grant grant, ObjectDirectory objects, PrivateNames names)
      throws RequestException, LookupException, Refusal {
    String out = filters;
    for (String key : List.of("before", "since")) {
      List<String> values = Filters.values(out, key);
      if (values.isEmpty()) {
        continue;
      }
      ImageFilters.bounded(key, values);
      out = Filters.without(out, key);
      for (String v : values) {
        out =
            Filters.with(
                out, key, ContainerOwnership.container(v, who, grant, objects, names).id());
      }
    }
    return out;
  }

  /**
   * {@code query} without {@code limit}: the daemon counts only what its filters select, and the
   * name filter is now berth's, so berth cuts the list; a limit also lists stopped containers (moby
   * {@code daemon/list.go}), so {@code all} stands in for it.
   */
  private static QueryParams withoutLimit(QueryParams query) {
    return limit(query) > 0 ? query.without("limit").with("all", "1") : query.without("limit");
  }

  /** The {@code limit} of a container list; 0 (none) when absent or not a number, as the daemon. */
  private static int limit(QueryParams query) {
    try {
      return Integer.parseInt(query.get("limit").orElse("0").strip());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  static Step dataUsage(
      Principal who,
      Grant grant,
      CanonicalRequest request,
      ObjectDirectory objects,
      PrivateNames names) {
    ImageClaims claims = objects.imageClaims();
    return new Step(
        request,
        new FollowUp.FilterResponse(
            df -> {
              JsonNode out =
                  names.answer(
                      DataUsage.narrow(
                          df,
                          owner -> grant.reaches(who, owner),
                          images -> ImageAccess.narrowList(images, who, grant, claims)));
              OwnershipRules.showImages(out.path("Containers"), who, grant);
              return out;
            }));
  }
}
