package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * Where a role's containers go in the host's cgroup tree (role key {@code placement}): under the
 * caller's running batch job, under the caller's systemd user slice, or wherever the daemon puts
 * them. The caller never chooses; berth reads the cgroup of the calling process.
 *
 * @param mode where containers are placed
 * @param driver the cgroup driver of the daemon berth forwards to (role key {@code cgroup_driver},
 *     {@code docker info -f '{{.CgroupDriver}}'}): a cgroupfs daemon takes a cgroup path as the
 *     parent, a systemd daemon a slice name
 */
public record Placement(Mode mode, Driver driver) {
  /** Containers go wherever the daemon puts them. */
  public static final Placement NONE = new Placement(Mode.NONE, Driver.CGROUPFS);

  public Placement {
    requireNonNull(mode, "mode");
    requireNonNull(driver, "driver");
  }

  /** Where containers are placed. */
  public enum Mode {
    /** Wherever the daemon puts them (its own cgroup parent). */
    NONE("none"),
    /** Under the cgroup of the batch job the calling process runs in (Slurm). */
    JOB("job"),
    /** Under the caller's systemd user slice, {@code user.slice/user-UID.slice}. */
    USER_SLICE("user_slice");

    private final String id;

    Mode(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    public static Optional<Mode> byId(String id) {
      for (Mode m : values()) {
        if (m.id.equals(id)) {
          return Optional.of(m);
        }
      }
      return Optional.empty();
    }
  }

  /** The daemon's cgroup driver, which decides how a cgroup parent is spelled. */
  public enum Driver {
    CGROUPFS("cgroupfs"),
    SYSTEMD("systemd");

    private final String id;

    Driver(String id) {
      this.id = id;
    }

    public String id() {
      return id;
    }

    public static Optional<Driver> byId(String id) {
      for (Driver d : values()) {
        if (d.id.equals(id)) {
          return Optional.of(d);
        }
      }
      return Optional.empty();
    }
  }
}
