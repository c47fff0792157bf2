package dev.berth.policy;

import java.util.Locale;
import java.util.Optional;

/** What a caller does with an image, as an image rule's {@code for} names it. */
public enum ImageUse {
  /** {@code docker pull} ({@code POST /images/create?fromImage=}). */
  PULL("pulling", "docker pull"),
  /** A container from it ({@code docker run}, {@code docker create}, {@code berth run}). */
  RUN("running", "docker run"),
  /** A build's base ({@code FROM}, {@code COPY --from}, {@code RUN --mount=from=}). */
  BUILD("building from", "FROM");

  private final String doing;
  private final String command;

  ImageUse(String doing, String command) {
    this.doing = doing;
    this.command = command;
  }

  /** The key in a policy file: {@code pull}, {@code run}, {@code build}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** "pulling", "running", "building from". */
  public String doing() {
    return doing;
  }

  /** How a user names an image for this use: "docker pull", "docker run", "FROM". */
  public String command() {
    return command;
  }

  public static Optional<ImageUse> byId(String id) {
    for (ImageUse u : values()) {
      if (u.id().equals(id)) {
        return Optional.of(u);
      }
    }
    return Optional.empty();
  }
}
