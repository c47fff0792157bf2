package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.Limits;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code /dev/shm}, tmpfs mounts and ulimits of a new container within the role's limits (HC-27).
 *
 * <p>Design note. A tmpfs is memory: one without a size may fill half the host's RAM, so every
 * tmpfs (and {@code ShmSize}) gets the role's default when it names no size, and a size above the
 * maximum is refused. Sizes in {@code HostConfig.Tmpfs} options reach the kernel as written, and
 * the kernel's {@code memparse} reads octal and hex and takes {@code %} of RAM, so only plain
 * decimal sizes with a {@code k/m/g/t/p/e} suffix are judged and anything else is refused, as are
 * {@code nr_blocks} (a size in pages) and a size given twice. Ulimits are matched the way the
 * daemon names them ({@code RLIMIT_} plus the upper-cased name: Go's upper-casing, so non-ASCII
 * names are refused) and forwarded in lower case; one the role does not list is refused, and a
 * negative value is "unlimited" (the kernel's {@code RLIM_INFINITY}).
 */
final class TmpfsAndUlimitRules {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** The daemon's {@code /dev/shm} size when {@code ShmSize} is 0 (moby's default). */
  static final long DAEMON_SHM_DEFAULT = 64L << 20;

  private static final Pattern SIZE =
      Pattern.compile("^(0|[1-9][0-9]{0,18})([kmgtpe]?)$", Pattern.CASE_INSENSITIVE);

  private TmpfsAndUlimitRules() {}

  static void apply(ObjectNode hc, Limits limits, Rewrites rw) throws Refusal {
    applyShm(hc, limits, rw);
    applyTmpfs(hc, limits, rw);
    applyMountTmpfs(hc, limits, rw);
    checkUlimits(hc, limits);
  }

  private static void applyShm(ObjectNode hc, Limits limits, Rewrites rw) throws Refusal {
    long shm = hc.path("ShmSize").asLong(0);
    if (shm < 0) {
      throw new Refusal("--shm-size " + shm + ": a size must not be negative");
    }
    if (limits.shmMax() > 0 && shm > limits.shmMax()) {
      throw new Refusal(
          "--shm-size " + shm + " exceeds your role's maximum of " + limits.shmMax() + " bytes");
    }
    long fallback =
        limits.shmDefault() > 0
            ? limits.shmDefault()
            : limits.shmMax() > 0 ? Math.min(limits.shmMax(), DAEMON_SHM_DEFAULT) : 0;
    if (shm == 0 && fallback > 0) {
      hc.put("ShmSize", fallback);
      rw.note("HostConfig.ShmSize set to " + fallback);
    }
  }

  /** The size a tmpfs without one gets: the default, else the maximum; 0 when neither is set. */
  private static long tmpfsFallback(Limits limits) {
    return limits.tmpfsDefault() > 0 ? limits.tmpfsDefault() : limits.tmpfsMax();
  }

  private static void applyTmpfs(ObjectNode hc, Limits limits, Rewrites rw) throws Refusal {
    if (!(hc.get("Tmpfs") instanceof ObjectNode tmpfs)) {
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = tmpfs.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String what = "--tmpfs " + e.getKey();
      String options = e.getValue().asText("");
      List<String> kept = new ArrayList<>();
      long size = -1;
      for (String opt : options.isEmpty() ? new String[0] : options.split(",", -1)) {
        if (opt.startsWith("nr_blocks=")) {
          throw new Refusal(what + ": nr_blocks is not allowed; give the size as size=");
        }
        if (opt.startsWith("size=")) {
          if (size >= 0) {
            throw new Refusal(what + ": size is given twice");
          }
          size = parseSize(opt.substring(5), what);
          if (size == 0) {
            // the kernel reads size=0 as "no limit"
            size = Long.MAX_VALUE;
          }
          kept.add(opt);
        } else {
          kept.add(opt);
        }
      }
      if (size < 0) {
        long fallback = tmpfsFallback(limits);
        if (fallback > 0) {
          kept.add("size=" + fallback);
          e.setValue(NODES.textNode(String.join(",", kept)));
          rw.note("tmpfs " + e.getKey() + " sized " + fallback);
        }
      } else {
        checkTmpfsSize(size, limits, what);
      }
    }
  }

  private static void applyMountTmpfs(ObjectNode hc, Limits limits, Rewrites rw) throws Refusal {
    for (JsonNode node : hc.path("Mounts")) {
      if (!(node instanceof ObjectNode m) || !"tmpfs".equals(m.path("Type").asText())) {
        continue;
      }
      String what = "--mount type=tmpfs,target=" + m.path("Target").asText("");
      ObjectNode opts = m.get("TmpfsOptions") instanceof ObjectNode o ? o : null;
      if (opts != null) {
        for (JsonNode opt : opts.path("Options")) {
          String key = opt.path(0).asText("").toLowerCase(Locale.ROOT);
          if (key.equals("size")
              || key.equals("nr_blocks")
              || key.startsWith("size=")
              || key.startsWith("nr_blocks=")) {
            throw new Refusal(
                what
                    + ": give the size as tmpfs-size (TmpfsOptions.SizeBytes), "
                    + "not as an option");
          }
        }
      }
      long size = opts == null ? 0 : opts.path("SizeBytes").asLong(0);
      if (size < 0) {
        throw new Refusal(what + ": tmpfs-size must not be negative");
      }
      if (size > 0) {
        checkTmpfsSize(size, limits, what);
      } else if (tmpfsFallback(limits) > 0) {
        (opts != null ? opts : m.putObject("TmpfsOptions")).put("SizeBytes", tmpfsFallback(limits));
        rw.note("tmpfs " + m.path("Target").asText("") + " sized " + tmpfsFallback(limits));
      }
    }
  }

  private static void checkTmpfsSize(long size, Limits limits, String what) throws Refusal {
    if (limits.tmpfsMax() > 0 && size > limits.tmpfsMax()) {
      throw new Refusal(
          what
              + ": a tmpfs of "
              + (size == Long.MAX_VALUE ? "unlimited size" : size + " bytes")
              + " exceeds your role's maximum of "
              + limits.tmpfsMax()
              + " bytes");
    }
  }

  /** A kernel {@code memparse} size, decimal only; refused otherwise. */
  static long parseSize(String text, String what) throws Refusal {
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw new Refusal(
          what + ": size " + text + " is not a size (give bytes, or a number " + "with k, m or g)");
    }
    int shift =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          case "p" -> 50;
          case "e" -> 60;
          default -> 0;
        };
    long v = Long.parseLong(m.group(1));
    return v > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : v << shift;
  }

  private static void checkUlimits(ObjectNode hc, Limits limits) throws Refusal {
    JsonNode asked = hc.get("Ulimits");
    if (asked == null || asked.isNull()) {
      return;
    }
    ArrayNode out = NODES.arrayNode();
    Set<String> seen = new HashSet<>();
    for (JsonNode u : asked) {
      String raw = u.path("Name").asText("");
      String what = "--ulimit " + raw;
      if (!raw.chars().allMatch(c -> c < 0x80)) {
        throw new Refusal(what + ": ulimit names are ASCII");
      }
      String name = raw.toLowerCase(Locale.ROOT);
      Long max = limits.ulimits().get(name);
      if (max == null) {
        throw new Refusal(
            what
                + ": setting this ulimit is not allowed"
                + (limits.ulimits().isEmpty()
                    ? ""
                    : " (allowed: " + new TreeSet<>(limits.ulimits().keySet()) + ")"));
      }
      if (!seen.add(name)) {
        throw new Refusal(what + ": given twice");
      }
      long soft = u.path("Soft").asLong(0);
      long hard = u.path("Hard").asLong(0);
      if (max != Limits.UNLIMITED && (soft < 0 || hard < 0 || soft > max || hard > max)) {
        throw new Refusal(
            what
                + "="
                + soft
                + ":"
                + hard
                + " exceeds your role's maximum of "
                + max
                + " (a negative value is unlimited)");
      }
      out.addObject().put("Name", name).put("Soft", soft).put("Hard", hard);
    }
    hc.set("Ulimits", out);
  }
}
