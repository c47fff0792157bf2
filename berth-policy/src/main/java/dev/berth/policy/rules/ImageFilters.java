package dev.berth.policy.rules;

import dev.berth.policy.Action;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.Decision;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;
import dev.berth.policy.RequestException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Filters that name an image, in the caller's image names (issue 13): {@code docker ps --filter
 * ancestor=}, {@code docker events --filter image=}, and {@code docker images --filter
 * before=/since=} ({@code reference=} is {@link ReferenceFilter}'s).
 *
 * <p>Design note. A user's own tag {@code app:1} is {@code berth.invalid/u1001/docker.io/library/
 * app:1} in the daemon ({@link ImageNamespace}), so the daemon, given the caller's words, would
 * find the shared {@code app:1} or nothing. Each filter is translated into the daemon's terms
 * before forwarding, chosen per filter so that the daemon's own semantics apply unchanged:
 *
 * <ul>
 *   <li>{@code ancestor} (moby {@code daemon/list.go}, 20.10 and 28.x): the daemon resolves each
 *       value with {@code GetImage} (name, id, id prefix, digest), then takes the image and its
 *       descendants; a value it cannot resolve is skipped (logged), so it selects nothing. berth
 *       resolves each value as every image reference of the caller is resolved ({@link
 *       ImageAccess#resolve}: own namespace first, then shared, then id) and forwards the full id
 *       it found; a value that names nothing the caller may see (another user's image by name,
 *       daemon name, id or id prefix) is forwarded as {@link #NO_IMAGE}, a name no image can have,
 *       so it selects nothing, as a missing image does.
 *   <li>{@code before}/{@code since} of an image list (moby {@code daemon/images}): the daemon
 *       resolves each value with {@code GetImage} and fails the list with {@code No such image}
 *       when it cannot; berth resolves it the same way and forwards the id, or answers {@code No
 *       such image} itself for what the caller may not see.
 *   <li>{@code image} of events (moby {@code daemon/events/filter.go}): exact comparison of each
 *       value with the actor's id, its {@code image} (containers) or {@code name} (images)
 *       attribute, and both without their tag ({@code FamiliarName}). No lookup is needed: each
 *       value also selects its daemon name in the caller's namespace ({@code app:1} also {@code
 *       berth.invalid/u1001/docker.io/library/app:1}; a value without a tag also the namespace's
 *       repository, which the daemon compares with the attribute without its tag). Names under
 *       {@code berth.invalid} that the caller gives select nothing (replaced by {@link #NO_IMAGE}).
 * </ul>
 *
 * Whatever a value resolves to, the owner label berth adds to every list and event filter still
 * narrows the answer to the caller's own objects, so no value can select another user's container
 * or event (tests: {@code OwnershipRulesTest} {@code ps_ancestorOtherUsersImage_selectsNothing}).
 */
public final class ImageFilters {
  /**
   * An image reference no image can have (upper case is outside the reference grammar): the
   * daemon's {@code GetImage} fails on it, so as an {@code ancestor} it selects nothing, and no
   * event's image equals it.
   */
  static final String NO_IMAGE = "berth.invalid/No-Such-Image";

  /** More values than anyone writes; each costs berth a lookup on the daemon. */
  static final int MAX_VALUES = 64;

  private ImageFilters() {}

  /**
   * Whether judging {@code request} of {@code action} resolves images (or, for {@code before} and
   * {@code since} of a container list, containers: {@code ListOwnership}) on the daemon; then it is
   * judged off the event loop (see {@code PolicyEngine.Caller#consultsDirectory}).
   */
  public static boolean resolvesImages(Action action, CanonicalRequest request) {
    Set<String> keys =
        switch (action) {
          case CONTAINER_LIST -> Set.of("ancestor", "before", "since"); // images, containers
          case IMAGE_LIST -> Set.of("before", "since");
          default -> Set.of();
        };
    if (keys.isEmpty() || request.query().get("filters").isEmpty()) {
      return false;
    }
    try {
      String filters = Filters.canonicalText(request.query().get("filters"));
      for (String key : keys) {
        if (!Filters.values(filters, key).isEmpty()) {
          return true;
        }
      }
      return false;
    } catch (RequestException e) {
      return false; // refused when judged, without a lookup
    }
  }

  /** {@code filters} (canonical) with each {@code ancestor} the id of the image it names. */
  static String ancestors(String filters, Principal who, Grant grant, ObjectDirectory objects)
      throws RequestException, LookupException {
    List<String> values = Filters.values(filters, "ancestor");
    if (values.isEmpty()) {
      return filters;
    }
    bounded("ancestor", values);
    String out = Filters.without(filters, "ancestor");
    for (String v : values) {
      String id =
          ImageAccess.resolve(v, who, grant, objects).map(r -> r.image().id()).orElse(NO_IMAGE);
      out = Filters.with(out, "ancestor", id);
    }
    return out;
  }

  /**
   * {@code filters} (canonical) with each {@code before}/{@code since} the id of the image it
   * names.
   *
   * @throws Refusal {@code No such image} for a value that names nothing the caller may see
   */
  static String beforeSince(String filters, Principal who, Grant grant, ObjectDirectory objects)
      throws RequestException, LookupException, Refusal {
    String out = filters;
    for (String key : List.of("before", "since")) {
      List<String> values = Filters.values(out, key);
      if (values.isEmpty()) {
        continue;
      }
      bounded(key, values);
      out = Filters.without(out, key);
      for (String v : values) {
        Optional<ImageAccess.Resolved> r = ImageAccess.resolve(v, who, grant, objects);
        if (r.isEmpty()) {
          throw new Refusal(Decision.Status.NOT_FOUND, "No such image: " + v);
        }
        out = Filters.with(out, key, r.get().image().id());
      }
    }
    return out;
  }

  /**
   * {@code filters} (canonical) of an event stream where each {@code image} value also selects its
   * daemon name in {@code uid}'s namespace; a value under {@code berth.invalid} selects nothing.
   */
  static String eventImages(String filters, int uid) throws RequestException {
    List<String> values = Filters.values(filters, "image");
    if (values.isEmpty()) {
      return filters;
    }
    String out = Filters.without(filters, "image");
    for (String v : values) {
      if (ImageNamespace.isReserved(v)) {
        out = Filters.with(out, "image", NO_IMAGE);
        continue;
      }
      out = Filters.with(out, "image", v);
      Optional<String> mine = ImageNamespace.privateName(v, uid);
      if (mine.isPresent()) {
        out = Filters.with(out, "image", mine.get());
        if (ReferenceFilter.familiarName(v).equals(v)) {
          // "app" equals the attribute without its tag: so does the namespace's repository
          out = Filters.with(out, "image", mine.get().substring(0, mine.get().lastIndexOf(':')));
        }
      }
    }
    return out;
  }

  static void bounded(String key, List<String> values) throws RequestException {
    if (values.size() > MAX_VALUES) {
      throw RequestException.bad(
          "filters: at most " + MAX_VALUES + " " + key + " values (" + values.size() + " given)");
    }
  }
}
