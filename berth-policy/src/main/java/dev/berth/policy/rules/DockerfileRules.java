package dev.berth.policy.rules;

import com.fasterxml.jackson.databind.JsonNode;
import dev.berth.policy.Allowances;
import dev.berth.policy.Decision;
import dev.berth.policy.DockerObject;
import dev.berth.policy.DockerfileVerdict;
import dev.berth.policy.Grant;
import dev.berth.policy.ImageNamespace;
import dev.berth.policy.ImagePolicy;
import dev.berth.policy.ObjectDirectory;
import dev.berth.policy.ObjectDirectory.LookupException;
import dev.berth.policy.Principal;
import dev.berth.policy.PullMode;
import dev.berth.policy.RequestException;
import dev.berth.policy.docker.DockerJson;
import dev.berth.policy.docker.Dockerfile;
import dev.berth.policy.docker.Dockerfile.Instruction;
import dev.berth.policy.docker.DockerfileWords;
import dev.berth.policy.docker.ImageRef;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The images a classic build's Dockerfile names, judged for the caller (issue 13), and the
 * Dockerfile berth forwards in its place.
 *
 * <p>Design note. The classic builder resolves {@code FROM} and {@code COPY --from} among all of
 * the daemon's images (moby {@code dispatchers.go}: {@code getImageOrStage}, {@code
 * getImageMount}): by name, full id, id prefix or digest, so another user's private image could be
 * a build's base. The proxy hands this class the Dockerfile the daemon would read (held from the
 * context as it streamed, see {@code TarSanitizer.forBuildContext}), and the daemon then reads only
 * what this class wrote ({@link Dockerfile#write}). Each image reference that is not an earlier
 * stage (by name, compared in lower case as the builder does; for {@code COPY --from} also an
 * index) nor {@code scratch} goes through {@link ImageAccess#resolve} like every other command's:
 * found, it is forwarded as the full id of the image judged (so {@code FROM app:1} builds on her
 * own {@code app:1}, and no tag that moves between the judgement and the daemon's lookup, a pull or
 * a push's held tag, changes what the build starts from). An image the caller may not see, that the
 * daemon would still find (another user's, by id, prefix or daemon name; any name under {@code
 * berth.invalid}), is answered as missing ({@code No such image: X}, as image commands answer).
 *
 * <p>Pulls. A name the daemon does not have is pulled by berth, not by the daemon (which would
 * resolve it after the judgement, and run the pulled base image's ONBUILD triggers unjudged): the
 * pull is judged as the caller's own {@code docker pull} of that name ({@code pulls}: the shared
 * name of a registry image, never another user's private name, refused over a held tag or a
 * repository only administrators write) and the verdict is {@link DockerfileVerdict.Pull}; the
 * enforcement core records it, pulls, and judges the Dockerfile again, now with every image on the
 * host ({@link PullMode#NONE}). {@code --pull} ({@link PullMode#REFRESH}) pulls the shared tags the
 * Dockerfile names again in the same way, as the daemon's force-pull does, and is not forwarded
 * (the daemon would pull the judged ids by name); the caller's own images, ids and digests are used
 * as they are. {@code FROM} names are expanded with the ARGs before the first {@code FROM} and the
 * request's build-args ({@link DockerfileWords}); a {@code COPY --from} with a variable is refused.
 *
 * <p>ONBUILD triggers run when a stage starts: those of the base image (its {@code
 * Config.OnBuild}), or the ONBUILD lines of the earlier stage it starts from. Their {@code COPY
 * --from} is read by the daemon as written (berth cannot rewrite an image's triggers), so it must
 * name an earlier stage, or an image the caller may see as the daemon resolves it, or one the
 * daemon does not have, which berth then pulls first as for {@code FROM} (the daemon would pull it
 * itself, unjudged); otherwise the build is refused naming the base image.
 *
 * <p>Image rules. Under a role's {@code images}, every image this judgement resolves ({@code FROM},
 * {@code COPY --from}, a trigger's {@code COPY --from}) is held to the rules for {@code build}
 * ({@link ImagePolicyRules#forBuild}) before it is forwarded or pulled: found on the daemon, by
 * where its content came from and who made it, never by the name written (a disallowed image tagged
 * with an allowed name, or named by id, is still the disallowed image); a name berth pulls for the
 * build, by that name as written after build-arg expansion, before the pull (so {@code digests}
 * apply to it, and a name allowed only for pull and run is not pulled for a build). Stage names and
 * {@code scratch} are not images. The rule that allowed each image is in the audit note. {@code
 * ADD} of an {@code http(s)} URL (also in a trigger) makes the daemon fetch it in the host's
 * network namespace (host loopback reachable): refused unless it starts with a prefix of the role's
 * {@code allow.build_remote} (the rule of the {@code remote} parameter). COPY fetches no URL, and
 * the classic builder's ADD fetches no git repository (moby {@code copy.go}: {@code urlutil.IsURL},
 * http and https only).
 */
public final class DockerfileRules {
  private static final String RULE = "image_build_dockerfile";

  private DockerfileRules() {}

  /**
   * Judges the Dockerfile {@code content} of a classic build of {@code who}.
   *
   * @param buildArgs the request's {@code buildargs} (a JSON object, or "")
   * @param mode which images may be pulled first
   * @param pulls the decision on the caller's {@code docker pull} of a canonical image name
   */
  public static DockerfileVerdict judge(
      byte[] content,
      String buildArgs,
      Principal who,
      Grant grant,
      ObjectDirectory objects,
      PullMode mode,
      Function<String, Decision> pulls) {
    try {
      return new Judging(who, grant, objects, mode, pulls).run(content, buildArgs);
    } catch (DecidedRefusal r) {
      return new DockerfileVerdict.Refused(r.refusal);
    } catch (Refusal r) {
      return new DockerfileVerdict.Refused(
          new Decision.Deny(RULE, r.status, "berth: " + r.getMessage()));
    } catch (RequestException e) {
      return new DockerfileVerdict.Refused(
          new Decision.Deny(RULE, e.status(), "berth: " + e.getMessage()));
    } catch (LookupException e) {
      return new DockerfileVerdict.Refused(
          new Decision.Indeterminate(
              "ownership_lookup",
              "berth could not ask the daemon about the Dockerfile's images ("
                  + e.getMessage()
                  + ")"));
    }
  }

  private static final class Judging {
    private final Principal who;
    private final Grant grant;
    private final ObjectDirectory objects;
    private final PullMode mode;
    private final Function<String, Decision> pullJudge;
    private final List<String> judged = new ArrayList<>();
    private final List<Decision.Allow> pulls = new ArrayList<>();
    private final Set<String> pulled = new HashSet<>();

    /** Names of the stages that ended (lower case, "" for none), in order. */
    private final List<String> stages = new ArrayList<>();

    /** ONBUILD lines of each stage, by index (the current one last). */
    private final List<List<String>> stageTriggers = new ArrayList<>();

    private String current = "";

    Judging(
        Principal who,
        Grant grant,
        ObjectDirectory objects,
        PullMode mode,
        Function<String, Decision> pullJudge) {
      this.who = who;
      this.grant = grant;
      this.objects = objects;
      this.mode = mode;
      this.pullJudge = pullJudge;
    }

    DockerfileVerdict run(byte[] content, String buildArgsJson)
        throws Refusal, RequestException, LookupException, DecidedRefusal {
      Dockerfile df = Dockerfile.parse(content);
      Map<String, String> given = buildArgs(buildArgsJson);
      Map<String, String> meta = new HashMap<>();
      boolean inStage = false;
      List<Instruction> out = new ArrayList<>();
      for (Instruction in : df.instructions()) {
        switch (in.keyword()) {
          case "arg" -> {
            if (!inStage) {
              metaArg(in, df.escape(), given, meta);
            }
            out.add(in);
          }
          case "from" -> {
            if (inStage) {
              stages.add(current);
            }
            inStage = true;
            out.add(from(in, df.escape(), meta));
          }
          case "copy" -> out.add(copy(in));
          case "add" -> {
            checkAdd(in, "");
            out.add(in);
          }
          case "onbuild" -> {
            if (inStage) {
              stageTriggers.get(stageTriggers.size() - 1).add(in.rest());
            }
            out.add(in);
          }
          default -> out.add(in);
        }
      }
      if (out.isEmpty()) {
        throw RequestException.bad("Dockerfile: file with no instructions");
      }
      if (!pulls.isEmpty()) {
        return new DockerfileVerdict.Pull(pulls, judged);
      }
      return new DockerfileVerdict.Forward(df.with(out).write(), judged);
    }

    private Instruction from(Instruction in, char escape, Map<String, String> meta)
        throws Refusal, RequestException, LookupException, DecidedRefusal {
      List<String> words = in.words();
      boolean named = words.size() == 3 && words.get(1).equalsIgnoreCase("as");
      if (!(words.size() == 1 || named)) {
        throw RequestException.bad("Dockerfile: FROM requires either one or three arguments");
      }
      String name = DockerfileWords.expand(words.get(0), escape, meta);
      if (name.isEmpty()) {
        throw RequestException.bad(
            "Dockerfile: base name (" + words.get(0) + ") should not be blank");
      }
      String forward;
      int stage = stages.indexOf(name.toLowerCase(Locale.ROOT));
      if (stage >= 0) {
        forward = name.toLowerCase(Locale.ROOT);
        judgeTriggers(stageTriggers.get(stage), "the stage " + forward);
        judged.add("FROM " + name + ": stage " + stage);
      } else if (name.equals("scratch")) {
        forward = name;
      } else {
        ImageAccess.Resolved r = image(name, "FROM");
        forward = r.forward();
        if (!r.image().id().isEmpty()) {
          judgeTriggers(objects.imageOnBuild(r.image().id()), "the base image " + name);
          judged.add("FROM " + name + ": " + forward);
        }
      }
      current = named ? words.get(2).toLowerCase(Locale.ROOT) : "";
      stageTriggers.add(new ArrayList<>());
      return in.withRest(forward + (named ? " " + words.get(1) + " " + words.get(2) : ""));
    }

    private Instruction copy(Instruction in)
        throws Refusal, RequestException, LookupException, DecidedRefusal {
      String from = in.flag("--from");
      if (from == null || isStage(from)) {
        return in;
      }
      String forward;
      if (from.equals("scratch")) {
        forward = from;
      } else {
        ImageAccess.Resolved r = image(from, "COPY --from");
        forward = r.forward();
      }
      judged.add("COPY --from=" + from + ": " + forward);
      return in.withFlag("--from", forward);
    }

    /** Whether the daemon reads {@code from} as an earlier stage (by name or index). */
    private boolean isStage(String from) throws RequestException {
      if (from.contains("$")) {
        throw RequestException.bad(
            "Dockerfile: COPY --from="
                + from
                + ": a variable in --from is not supported in classic builds through berth;"
                + " write the stage or image name");
      }
      if (stages.contains(from.toLowerCase(Locale.ROOT))) {
        return true;
      }
      if (!from.matches("[+-]?[0-9]+")) {
        return false;
      }
      try {
        Long.parseLong(from.startsWith("+") ? from.substring(1) : from);
        return true; // an index: a stage, or the daemon's own error
      } catch (NumberFormatException e) {
        return false; // beyond int64: the daemon reads it as an image name
      }
    }

    /**
     * The image {@code ref} names for the caller, forwarded as its full id, or a refusal as image
     * commands answer a missing one. A name the daemon does not have is pulled first (its forward
     * is its canonical name, and its image has no id: the verdict is a pull), as is a shared tag
     * under {@link PullMode#REFRESH}.
     */
    private ImageAccess.Resolved image(String ref, String what)
        throws Refusal, LookupException, DecidedRefusal {
      Optional<ImageAccess.Resolved> r = ImageAccess.resolve(ref, who, grant, objects);
      if (r.isPresent()) {
        ImageAccess.Resolved found = r.get();
        forBuild(what + " " + ref, ref, Optional.of(found.image()));
        if (mode == PullMode.REFRESH
            && !found.tag().isEmpty()
            && ImageNamespace.parse(found.tag()).isEmpty()) {
          Optional<ImageRef> shared = ImageRef.tryParse(found.tag());
          if (shared.isPresent()) {
            forBuild(what + " " + ref, found.tag(), Optional.empty());
            pull(shared.get().toString(), what + " " + ref);
          }
        }
        return new ImageAccess.Resolved(found.image().id(), found.image(), found.tag());
      }
      if (ImageNamespace.isReserved(ref) || objects.image(ref).isPresent()) {
        throw new Refusal(Decision.Status.NOT_FOUND, "No such image: " + ref);
      }
      Optional<ImageRef> name = ImageRef.tryParse(ref);
      if (name.isEmpty()) {
        throw new Refusal(
            Decision.Status.BAD_REQUEST, what + " " + ref + ": invalid reference format");
      }
      if (mode == PullMode.NONE) {
        throw gone(what + " " + ref);
      }
      String canonical = name.get().toString();
      forBuild(what + " " + ref, ref, Optional.empty());
      pull(canonical, what + " " + ref);
      return new ImageAccess.Resolved(
          canonical, new DockerObject("", "", Optional.empty(), Map.of()), "");
    }

    /**
     * Holds {@code named} (on the daemon as {@code found}, or about to be pulled) to the role's
     * image rules for {@code build} ({@link ImagePolicyRules#forBuild}); the rule that allowed it
     * goes into the audit note.
     */
    private void forBuild(String where, String named, Optional<DockerObject> found)
        throws DecidedRefusal {
      ImagePolicy.Verdict v = ImagePolicyRules.forBuild(named, found, who, grant);
      if (v instanceof ImagePolicy.Refused r) {
        throw new DecidedRefusal(
            Decision.forbidden("image_policy", "berth: " + where + ": " + r.reason()));
      }
      if (!v.reason().isEmpty()) {
        judged.add(where + ": " + v.reason());
      }
    }

    /** Plans berth's pull of {@code image} (canonical), judged as the caller's docker pull. */
    private void pull(String image, String why) throws DecidedRefusal {
      if (!pulled.add(image)) {
        return;
      }
      Decision d = pullJudge.apply(image);
      switch (d) {
        case Decision.Allow a -> {
          pulls.add(a);
          judged.add(why + ": pulled first (" + image + ")");
        }
        case Decision.Deny x ->
            throw new DecidedRefusal(
                new Decision.Deny(
                    x.rule(),
                    x.status(),
                    "berth: "
                        + why
                        + " needs a pull of "
                        + image
                        + ", which is refused: "
                        + x.reason().replaceFirst("^berth: ", "")));
        case Decision.Indeterminate i -> throw new DecidedRefusal(i);
      }
    }

    /** The triggers a stage runs when it starts from {@code source}. */
    private void judgeTriggers(List<String> triggers, String source)
        throws Refusal, RequestException, LookupException, DecidedRefusal {
      for (String t : triggers) {
        for (Instruction in : Dockerfile.parseTrigger(t).instructions()) {
          String from = in.keyword().equals("copy") ? in.flag("--from") : null;
          if (from != null && !isStage(from) && !from.equals("scratch")) {
            if (ImageNamespace.isReserved(from)) {
              throw trigger(source, t, from);
            }
            Optional<DockerObject> read = objects.image(from);
            if (read.isPresent()
                && !ImageAccess.sees(
                    read.get().id(),
                    read.get().tagNames(),
                    read.get().owner(),
                    who,
                    grant,
                    objects.imageClaims())) {
              throw trigger(source, t, from);
            }
            String where = "ONBUILD of " + source + ": COPY --from=" + from;
            forBuild(where, from, read);
            Optional<ImageRef> name = ImageRef.tryParse(from);
            if (read.isEmpty() && name.isPresent()) {
              // the daemon would pull it itself, unjudged: berth pulls it first, as for FROM
              if (mode == PullMode.NONE) {
                throw gone(where);
              }
              pull(name.get().toString(), where);
            }
            judged.add(where);
          }
          if (in.keyword().equals("add")) {
            checkAdd(in, " (an ONBUILD trigger of " + source + ")");
          }
        }
      }
    }

    /** An image berth pulled for this build is not on the host when it judges again. */
    private static Refusal gone(String where) {
      return new Refusal(
          Decision.Status.NOT_FOUND,
          where
              + ": the image is not on this host (berth pulled it for this build, and it was"
              + " removed meanwhile); build again");
    }

    private static Refusal trigger(String source, String trigger, String from) {
      return new Refusal(
          Decision.Status.FORBIDDEN,
          source
              + " has an ONBUILD trigger ("
              + trigger
              + ") that reads an image you may not use (No such image: "
              + from
              + "); start from another image");
    }

    /** ADD of a URL: fetched by the daemon in the host's network namespace. */
    private void checkAdd(Instruction in, String where) throws Refusal, RequestException {
      List<String> sources = addSources(in);
      Allowances allow = grant.role().allow();
      for (String src : sources) {
        if (src.contains("$")) {
          throw new Refusal(
              "ADD "
                  + src
                  + where
                  + ": a variable in an ADD source is not supported in classic builds"
                  + " through berth (it could name a URL the daemon fetches); write the path, or"
                  + " use COPY");
        }
        String plain = src.replace("\"", "").replace("'", "").replace("\\", "").replace("`", "");
        String lower = plain.toLowerCase(Locale.ROOT);
        if (!(lower.startsWith("http://") || lower.startsWith("https://"))) {
          continue;
        }
        boolean allowed = false;
        for (String prefix : allow.buildRemote()) {
          allowed |= plain.startsWith(prefix);
        }
        if (!allowed) {
          throw new Refusal(
              "ADD "
                  + plain
                  + where
                  + ": the daemon would fetch this URL itself, from the host's network (the"
                  + " host's own services included); URLs are not allowed for your role"
                  + " (allow.build_remote); fetch it inside a RUN step (curl, wget) instead");
        }
        judged.add("ADD " + plain + ": allowed by allow.build_remote");
      }
    }

    private static List<String> addSources(Instruction in) throws RequestException {
      String rest = in.rest();
      List<String> words = new ArrayList<>();
      JsonNode json = null;
      if (rest.startsWith("[")) {
        try {
          json = DockerJson.parse(rest.getBytes(StandardCharsets.UTF_8));
        } catch (RequestException e) {
          json = null;
        }
      }
      if (json != null && json.isArray()) {
        for (JsonNode n : json) {
          words.add(n.asText(""));
        }
      } else {
        words.addAll(in.words());
      }
      return words.size() <= 1 ? words : words.subList(0, words.size() - 1);
    }

    /** An ARG before the first FROM: its value for FROM's expansion. */
    private static void metaArg(
        Instruction in, char escape, Map<String, String> given, Map<String, String> meta)
        throws RequestException {
      for (String word : DockerfileWords.argWords(in.rest(), escape)) {
        int eq = word.indexOf('=');
        String key = eq < 0 ? word : word.substring(0, eq);
        if (given.containsKey(key)) {
          meta.put(key, given.get(key));
        } else if (eq >= 0) {
          meta.put(key, DockerfileWords.expand(word.substring(eq + 1), escape, meta));
        }
      }
    }

    private static Map<String, String> buildArgs(String json) throws RequestException {
      Map<String, String> out = new HashMap<>();
      if (json.isBlank()) {
        return out;
      }
      JsonNode args = DockerJson.parse(json.getBytes(StandardCharsets.UTF_8));
      for (Iterator<Map.Entry<String, JsonNode>> it = args.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isNull()) {
          out.put(e.getKey(), e.getValue().asText(""));
        }
      }
      return out;
    }
  }

  /**
   * A refusal another judgement made (the caller's docker pull of an image the Dockerfile needs, or
   * the role's image rules): the build is refused with it.
   */
  private static final class DecidedRefusal extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Decision refusal;

    DecidedRefusal(Decision refusal) {
      super(null, null, false, false);
      this.refusal = refusal;
    }
  }
}
