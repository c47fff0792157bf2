package dev.berth.policy;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * An administrator-vetted bundle a user may ask for on container create (label {@code
 * dev.berth.profile=NAME[,NAME]}, or {@code berth run --profile NAME}) when a role grants it: host
 * mounts outside the user's bind roots (a shared scratch, a dataset), host devices (an
 * interconnect), device requests (GPUs) and environment. A profile has no way to ask for privileged
 * mode, host namespaces or capabilities: the format has no such keys.
 *
 * @param name the profile's name
 * @param mounts {@code /host/path:/container/path[:ro]}
 * @param devices host device paths, given to the container at the same path ({@code rwm})
 * @param deviceRequests device requests as the Engine API takes them ({@code Driver}, {@code
 *     Count}, {@code Capabilities})
 * @param env {@code NAME=value}
 */
public record Profile(
    String name,
    List<String> mounts,
    List<String> devices,
    List<DeviceRequest> deviceRequests,
    List<String> env) {
  /** The label a create names profiles in. */
  public static final String LABEL = "dev.berth.profile";

  public Profile {
    requireNonNull(name, "name");
    mounts = List.copyOf(mounts);
    devices = List.copyOf(devices);
    deviceRequests = List.copyOf(deviceRequests);
    env = List.copyOf(env);
  }

  /**
   * One device request.
   *
   * @param count devices, -1 for all
   */
  public record DeviceRequest(String driver, int count, List<String> capabilities) {
    public DeviceRequest {
      requireNonNull(driver, "driver");
      capabilities = List.copyOf(capabilities);
    }
  }
}
