package dev.berth.policy.rules;

import static dev.berth.policy.rules.OwnerLabels.checkBerthLabels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.berth.policy.AddressPool;
import dev.berth.policy.CanonicalRequest;
import dev.berth.policy.CanonicalRequest.Body;
import dev.berth.policy.Decision;
import dev.berth.policy.HostRoutes;
import dev.berth.policy.Ipv4Block;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Owner;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/** {@code POST /networks/create}: a plain bridge network labelled for its owner. */
final class NetworkCreateRules {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private NetworkCreateRules() {}

  /**
   * {@code docker network create}: a plain bridge network, addressed by the daemon or on a subnet
   * the caller names inside the role's address pools (see {@link #ipam}); driver options can attach
   * to host interfaces or existing bridges, and other drivers reach the host's network (macvlan,
   * ipvlan) or need swarm. Keys are matched case-insensitively, as Go's decoder does; the body is
   * rebuilt from the known ones.
   *
   * @param rolePools the role's {@code allow.address_pools}; empty: the daemon's default pools,
   *     asked of {@code objects} only when a subnet is named
   */
  static Decision evaluate(
      Owner owner,
      CanonicalRequest request,
      Optional<List<AddressPool>> rolePools,
      ObjectDirectory objects,
      HostRoutes routes) {
    try {
      return judge(owner, request, new Pools(rolePools, objects), routes);
    } catch (LookupException e) {
      return new Decision.Indeterminate(
          "network_create",
          "berth could not read the daemon's default address pools, which --subnet is judged by ("
              + e.getMessage()
              + ")");
    }
  }

  private static Decision judge(
      Owner owner, CanonicalRequest request, Pools pools, HostRoutes routes)
      throws LookupException {
    JsonNode in = request.body() instanceof Body.Json j ? j.value() : NODES.objectNode();
    if (!in.isObject()) {
      return Decision.badRequest("network_create", "berth: body: expected a JSON object");
    }
    ObjectNode out = NODES.objectNode();
    ObjectNode labels = NODES.objectNode();
    List<String> dropped = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      String refusal =
          switch (e.getKey().toLowerCase(Locale.ROOT)) {
            case "name" -> {
              out.put("Name", v.asText(""));
              yield null;
            }
            case "driver" ->
                oneOf(v, Set.of("", "bridge"), "--driver: only bridge networks are " + "allowed");
            case "scope" ->
                oneOf(v, Set.of("", "local"), "--scope: only local networks are allowed");
            case "internal", "enableipv6", "enableipv4" -> {
              if (!v.isNull()) {
                out.put(
                    e.getKey().equalsIgnoreCase("internal")
                        ? "Internal"
                        : e.getKey().equalsIgnoreCase("enableipv6") ? "EnableIPv6" : "EnableIPv4",
                    v.asBoolean(false));
              }
              yield null;
            }
            case "attachable", "ingress", "configonly" ->
                v.asBoolean(false)
                    ? "--" + e.getKey().toLowerCase(Locale.ROOT) + " networks are not allowed"
                    : null;
            case "configfrom" -> v.isNull() || v.isEmpty() ? null : "--config-from is not allowed";
            case "options" ->
                v.isNull() || v.isEmpty()
                    ? null
                    : "-o/--opt: network driver options are not allowed";
            case "ipam" -> {
              try {
                ObjectNode ipam = ipam(v, pools, routes);
                if (ipam != null) {
                  out.set("IPAM", ipam);
                }
                yield null;
              } catch (IllegalArgumentException r) {
                yield String.valueOf(r.getMessage()); // never null: a refusal
              }
            }
            case "labels" -> {
              if (v.isObject()) {
                labels.setAll((ObjectNode) v);
                yield null;
              }
              yield v.isNull() ? null : "--label: expected labels";
            }
            case "checkduplicate" -> null;
            default -> {
              dropped.add(e.getKey()); // no rule judges it: left out, never forwarded
              yield null;
            }
          };
      if (refusal != null) {
        return Decision.forbidden("network_create", "berth: " + refusal);
      }
    }
    if (out.path("Name").asText("").isEmpty()) {
      return Decision.badRequest("network_create", "berth: a network needs a name");
    }
    try {
      checkBerthLabels(labels, owner, "network labels");
    } catch (Refusal r) {
      return Decision.forbidden("network_create", "berth: " + r.getMessage());
    }
    owner.labels().forEach(labels::put);
    out.put("Driver", "bridge");
    out.put("CheckDuplicate", true);
    out.set("Labels", labels);
    List<String> notes = new ArrayList<>();
    notes.add("labelled as yours (" + Owner.UID_LABEL + "=" + owner.uid() + ")");
    for (String field : dropped) { // worded as the engine's notes for schema-read bodies
      notes.add(
          "body field " + field + " dropped: berth does not judge it, so it is not forwarded");
    }
    return new Decision.Allow("network_create", request.withBody(new Body.Json(out)), notes);
  }

  /**
   * The IPAM section, judged field by field: the default driver without options, and for each
   * configured subnet: an IPv4 subnet inside one of the role's address pools (by default the
   * daemon's own default pools, see {@link Pools}), overlapping none of the host's routes (a
   * network on the host's LAN or its DNS server's subnet would capture their traffic), with its IP
   * range, gateway and auxiliary addresses inside it. Overlaps with other networks are the daemon's
   * to refuse (its IPAM allocates each pool once: "Pool overlaps with other one on this address
   * space").
   *
   * @return the IPAM to forward, or null for none
   * @throws IllegalArgumentException with the refusal's reason
   * @throws LookupException when the daemon's pools are needed and cannot be read
   */
  private static @Nullable ObjectNode ipam(JsonNode v, Pools pools, HostRoutes routes)
      throws LookupException {
    if (v.isNull()) {
      return null;
    }
    if (!v.isObject()) {
      throw new IllegalArgumentException("IPAM: expected an object");
    }
    String driver = field(v, "Driver").asText("");
    if (!Set.of("", "default").contains(driver)) {
      throw new IllegalArgumentException(
          "--ipam-driver: only the default IPAM driver is " + "allowed");
    }
    JsonNode options = field(v, "Options");
    if (!options.isNull() && !options.isMissingNode() && !options.isEmpty()) {
      throw new IllegalArgumentException("--ipam-opt: IPAM driver options are not allowed");
    }
    JsonNode config = field(v, "Config");
    ObjectNode out = NODES.objectNode().put("Driver", "default");
    if (config.isNull() || config.isMissingNode() || config.isEmpty()) {
      return out;
    }
    if (!config.isArray()) {
      throw new IllegalArgumentException("IPAM.Config: expected a list");
    }
    List<Ipv4Block> hostRoutes;
    try {
      hostRoutes = routes.routes();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--subnet: the host's routes cannot be read ("
              + e.getMessage()
              + "), so no subnet can be judged");
    }
    ArrayNode judged = out.putArray("Config");
    for (JsonNode c : config) {
      judged.add(ipamConfig(c, pools, hostRoutes));
    }
    return out;
  }

  private static ObjectNode ipamConfig(JsonNode c, Pools pools, List<Ipv4Block> hostRoutes)
      throws LookupException {
    if (!c.isObject()) {
      throw new IllegalArgumentException("IPAM.Config: expected objects");
    }
    String subnetText = field(c, "Subnet").asText("");
    if (subnetText.isEmpty()) {
      throw new IllegalArgumentException("--ip-range/--gateway/--aux-address need a --subnet");
    }
    if (subnetText.contains(":")) {
      throw new IllegalArgumentException(
          "--subnet "
              + subnetText
              + ": IPv6 subnets are not "
              + "drawn from berth's address pools; use --ipv6 without a subnet");
    }
    Ipv4Block subnet = block("--subnet", subnetText);
    pools.check(subnet);
    for (Ipv4Block route : hostRoutes) {
      if (route.overlaps(subnet)) {
        throw new IllegalArgumentException(
            "--subnet "
                + subnet
                + " overlaps the host's route to "
                + route
                + "; choose a subnet the host does not route");
      }
    }
    ObjectNode out = NODES.objectNode().put("Subnet", subnet.toString());
    String range = field(c, "IPRange").asText("");
    if (!range.isEmpty()) {
      Ipv4Block r = block("--ip-range", range);
      if (!subnet.contains(r)) {
        throw new IllegalArgumentException("--ip-range " + r + " is not inside " + subnet);
      }
      out.put("IPRange", r.toString());
    }
    String gateway = field(c, "Gateway").asText("");
    if (!gateway.isEmpty()) {
      out.put("Gateway", inside("--gateway", gateway, subnet));
    }
    JsonNode aux = field(c, "AuxiliaryAddresses");
    if (aux.isObject() && !aux.isEmpty()) {
      ObjectNode judgedAux = out.putObject("AuxiliaryAddresses");
      for (Iterator<Map.Entry<String, JsonNode>> it = aux.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        judgedAux.put(e.getKey(), inside("--aux-address", e.getValue().asText(""), subnet));
      }
    } else if (!aux.isNull() && !aux.isMissingNode() && !aux.isEmpty()) {
      throw new IllegalArgumentException("--aux-address: expected names and addresses");
    }
    return out;
  }

  /**
   * Where this request's subnets may lie: the role's pools, else the daemon's default pools, read
   * from the directory once per request (when the first subnet is judged) and once more, fresh, for
   * a subnet outside them (the daemon may have restarted with other pools since the directory read
   * them).
   */
  private static final class Pools {
    private final Optional<List<AddressPool>> role;
    private final ObjectDirectory objects;
    private @Nullable List<AddressPool> daemon;
    private boolean rechecked;

    Pools(Optional<List<AddressPool>> role, ObjectDirectory objects) {
      this.role = role;
      this.objects = objects;
    }

    void check(Ipv4Block subnet) throws LookupException {
      List<AddressPool> pools = current();
      if (!admits(pools, subnet) && role.isEmpty() && !rechecked) {
        rechecked = true;
        daemon = objects.defaultAddressPools(true);
        pools = daemon;
      }
      if (pools.isEmpty()) {
        throw new IllegalArgumentException(
            "--subnet: your role may name no subnet (its allow.address_pools is empty); leave"
                + " --subnet out and the daemon addresses the network");
      }
      if (!admits(pools, subnet)) {
        throw new IllegalArgumentException(
            "--subnet "
                + subnet
                + " is not inside the address pools of your role ("
                + (role.isEmpty() ? "the daemon's default pools: " : "")
                + pools.stream().map(AddressPool::toString).collect(Collectors.joining(", "))
                + ")");
      }
    }

    private List<AddressPool> current() throws LookupException {
      if (role.isPresent()) {
        return role.get();
      }
      List<AddressPool> known = daemon;
      if (known == null) {
        known = objects.defaultAddressPools(false);
        daemon = known;
      }
      return known;
    }

    private static boolean admits(List<AddressPool> pools, Ipv4Block subnet) {
      return pools.stream().anyMatch(p -> p.admits(subnet));
    }
  }

  private static Ipv4Block block(String flag, String text) {
    try {
      return Ipv4Block.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + " " + text + ": " + e.getMessage());
    }
  }

  private static String inside(String flag, String text, Ipv4Block subnet) {
    long address;
    try {
      address = Ipv4Block.address(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + " " + text + ": " + e.getMessage());
    }
    if (!subnet.contains(address)) {
      throw new IllegalArgumentException(flag + " " + text + " is not inside " + subnet);
    }
    return text;
  }

  /** A field matched case-insensitively, as Go's decoder matches it (missing node if absent). */
  private static JsonNode field(JsonNode object, String name) {
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return MissingNode.getInstance();
  }

  private static @Nullable String oneOf(JsonNode v, Set<String> allowed, String refusal) {
    return v.isNull() || allowed.contains(v.asText("")) ? null : refusal;
  }
}
