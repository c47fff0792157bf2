package dev.berth.cli;

import dev.berth.nss.NssUserDirectory;
import dev.berth.policy.Action;
import dev.berth.policy.Binding;
import dev.berth.policy.Placement;
import dev.berth.policy.Policy;
import dev.berth.policy.Role;
import dev.berth.policy.yaml.PolicyDefaults;
import dev.berth.policy.yaml.PolicyException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code berth policy}: work with policy files. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "Validate, show and try out policies.",
    subcommands = {PolicyCommand.Check.class, PolicyCommand.Show.class, ExplainCommand.class})
final class PolicyCommand {

  /** {@code berth policy check FILE}. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = {
        "Validate a policy file and print the effective policy.",
        "Exit status 0 when valid, 1 with every problem located (file:line:column) otherwise."
      })
  static final class Check implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The policy file.")
    Path file;

    @Override
    public Integer call() throws Exception {
      Policy policy;
      try {
        policy = PolicySource.load(file, new NssUserDirectory());
      } catch (PolicyException e) {
        PrintWriter err = spec.commandLine().getErr();
        e.errors().forEach(err::println);
        err.printf("%s: %d problem(s); the policy is not valid%n", file, e.errors().size());
        err.flush();
        return 1;
      }
      print(policy, spec.commandLine().getOut());
      return 0;
    }
  }

  /** {@code berth policy show}: the embedded default. */
  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = "Print the embedded default policy file (a starting point for your own).")
  static final class Show implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      spec.commandLine().getOut().print(PolicyDefaults.text());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  private static String dash(long v) {
    return v == 0 ? "-" : Long.toString(v);
  }

  private static String cpus(long nano) {
    return nano == 0 ? "-" : BigDecimal.valueOf(nano, 9).stripTrailingZeros().toPlainString();
  }

  static void print(Policy policy, PrintWriter out) {
    out.printf("policy %s (sha256 %s)%n", policy.source(), policy.digest());
    for (Role r : policy.roles().values()) {
      out.printf("role %s%s%n", r.name(), r.passthrough() ? " (passthrough)" : "");
      TreeSet<String> ids = new TreeSet<>();
      r.actions().forEach(a -> ids.add(a.id()));
      out.printf(
          "  actions: %s%n",
          r.actions().size() == Action.values().length ? "all" : String.join(", ", ids));
      out.printf(
          "  bind roots: %s%n",
          r.bindRoots().isEmpty() ? "none" : String.join(", ", r.bindRoots()));
      var l = r.limits();
      out.printf(
          "  limits: memory %s/%s bytes, cpus %s/%s, pids %s/%s (default/max, - = none)%n",
          dash(l.memoryDefault()),
          dash(l.memoryMax()),
          cpus(l.nanoCpusDefault()),
          cpus(l.nanoCpusMax()),
          dash(l.pidsDefault()),
          dash(l.pidsMax()));
      var a = r.allow();
      out.printf(
          "  allow: cap_add %s, sysctls %s, annotations %s, log_drivers %s, host ports >= %d%n",
          new TreeSet<>(a.capAdd()),
          new TreeSet<>(a.sysctls()),
          new TreeSet<>(a.annotations()),
          new TreeSet<>(a.logDrivers()),
          a.minHostPort());
      if (r.placement().mode() != Placement.Mode.NONE) {
        out.printf(
            "  placement: %s (daemon's cgroup driver %s)%n",
            r.placement().mode().id(), r.placement().driver().id());
      }
      if (!r.images().restricts()) {
        out.printf("  images: any (no image rules)%n");
      } else if (r.images().rules().isEmpty()) {
        out.printf("  images: none (an empty list of image rules)%n");
      }
      r.images().rules().forEach(rule -> out.printf("  image rule %s%n", rule.summary()));
    }
    int i = 0;
    for (Binding b : policy.bindings()) {
      out.printf(
          "binding %d: role %s for %s%s%n",
          i++,
          b.role(),
          b.everyone() ? "everyone" : "users " + b.users(),
          b.gids().isEmpty() ? "" : ", gids " + b.gids());
    }
    policy
        .protectedRepositories()
        .forEach(
            p -> out.printf("protected repository %s (only administrators pull into it)%n", p));
    out.flush();
  }
}
