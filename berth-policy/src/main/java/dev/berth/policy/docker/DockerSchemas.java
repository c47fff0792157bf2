package dev.berth.policy.docker;

import static dev.berth.policy.docker.Schema.ANY;
import static dev.berth.policy.docker.Schema.BOOL;
import static dev.berth.policy.docker.Schema.EMPTY_STRUCT_MAP;
import static dev.berth.policy.docker.Schema.INT;
import static dev.berth.policy.docker.Schema.STR;
import static dev.berth.policy.docker.Schema.STR_LIST;
import static dev.berth.policy.docker.Schema.STR_MAP;
import static dev.berth.policy.docker.Schema.STR_SLICE;
import static dev.berth.policy.docker.Schema.struct;

import dev.berth.policy.Action;
import java.util.Arrays;

/**
 * Schemas of the request bodies berth inspects, as subsets of moby's Go types (named in each
 * struct). A field missing here is dropped from what is forwarded; add one only together with the
 * rule that judges it.
 */
public final class DockerSchemas {
  private DockerSchemas() {}

  /** moby {@code api/types/mount.Mount}. */
  static final Schema.Struct MOUNT =
      struct(
          "Mount",
          "Type",
          STR,
          "Source",
          STR,
          "Target",
          STR,
          "ReadOnly",
          BOOL,
          "Consistency",
          STR,
          "BindOptions",
          struct(
              "BindOptions",
              "Propagation",
              STR,
              "NonRecursive",
              BOOL,
              "CreateMountpoint",
              BOOL,
              "ReadOnlyNonRecursive",
              BOOL,
              "ReadOnlyForceRecursive",
              BOOL),
          "VolumeOptions",
          struct(
              "VolumeOptions",
              "NoCopy",
              BOOL,
              "Labels",
              STR_MAP,
              "Subpath",
              STR,
              "DriverConfig",
              struct("Driver", "Name", STR, "Options", STR_MAP)),
          "ImageOptions",
          struct("ImageOptions", "Subpath", STR),
          "TmpfsOptions",
          struct(
              "TmpfsOptions",
              "SizeBytes",
              INT,
              "Mode",
              INT,
              "Options",
              new Schema.ListOf(STR_LIST)));

  /** moby {@code api/types/container.Resources} fields, shared by HostConfig and update. */
  private static final Object[] RESOURCES = {
    "CpuShares",
    INT,
    "Memory",
    INT,
    "NanoCpus",
    INT,
    "CgroupParent",
    STR,
    "BlkioWeight",
    INT,
    "BlkioWeightDevice",
    new Schema.ListOf(ANY),
    "BlkioDeviceReadBps",
    new Schema.ListOf(ANY),
    "BlkioDeviceWriteBps",
    new Schema.ListOf(ANY),
    "BlkioDeviceReadIOps",
    new Schema.ListOf(ANY),
    "BlkioDeviceWriteIOps",
    new Schema.ListOf(ANY),
    "CpuPeriod",
    INT,
    "CpuQuota",
    INT,
    "CpuRealtimePeriod",
    INT,
    "CpuRealtimeRuntime",
    INT,
    "CpusetCpus",
    STR,
    "CpusetMems",
    STR,
    "Devices",
    new Schema.ListOf(
        struct(
            "DeviceMapping", "PathOnHost", STR, "PathInContainer", STR, "CgroupPermissions", STR)),
    "DeviceCgroupRules",
    STR_LIST,
    "DeviceRequests",
    new Schema.ListOf(
        struct(
            "DeviceRequest",
            "Driver",
            STR,
            "Count",
            INT,
            "DeviceIDs",
            STR_LIST,
            "Capabilities",
            new Schema.ListOf(STR_LIST),
            "Options",
            STR_MAP)),
    "KernelMemory",
    INT,
    "KernelMemoryTCP",
    INT,
    "MemoryReservation",
    INT,
    "MemorySwap",
    INT,
    "MemorySwappiness",
    INT,
    "OomKillDisable",
    BOOL,
    "PidsLimit",
    INT,
    "Ulimits",
    new Schema.ListOf(struct("Ulimit", "Name", STR, "Soft", INT, "Hard", INT)),
    "CpuCount",
    INT,
    "CpuPercent",
    INT,
    "IOMaximumIOps",
    INT,
    "IOMaximumBandwidth",
    INT,
  };

  /** moby {@code api/types/container.RestartPolicy}. */
  private static final Schema.Struct RESTART_POLICY =
      struct("RestartPolicy", "Name", STR, "MaximumRetryCount", INT);

  /** moby {@code api/types/container.HostConfig}. */
  public static final Schema.Struct HOST_CONFIG =
      struct(
          "HostConfig",
          concat(
              new Object[] {
                "Binds",
                STR_LIST,
                "ContainerIDFile",
                STR,
                "LogConfig",
                struct("LogConfig", "Type", STR, "Config", STR_MAP),
                "NetworkMode",
                STR,
                "PortBindings",
                new Schema.MapOf(
                    new Schema.ListOf(struct("PortBinding", "HostIp", STR, "HostPort", STR))),
                "RestartPolicy",
                RESTART_POLICY,
                "AutoRemove",
                BOOL,
                "VolumeDriver",
                STR,
                "VolumesFrom",
                STR_LIST,
                "ConsoleSize",
                new Schema.ListOf(INT),
                "Annotations",
                STR_MAP,
                "CapAdd",
                STR_SLICE,
                "CapDrop",
                STR_SLICE,
                "CgroupnsMode",
                STR,
                "Dns",
                STR_LIST,
                "DnsOptions",
                STR_LIST,
                "DnsSearch",
                STR_LIST,
                "ExtraHosts",
                STR_LIST,
                "GroupAdd",
                STR_LIST,
                "IpcMode",
                STR,
                "Cgroup",
                STR,
                "Links",
                STR_LIST,
                "OomScoreAdj",
                INT,
                "PidMode",
                STR,
                "Privileged",
                BOOL,
                "PublishAllPorts",
                BOOL,
                "ReadonlyRootfs",
                BOOL,
                "SecurityOpt",
                STR_LIST,
                "StorageOpt",
                STR_MAP,
                "Tmpfs",
                STR_MAP,
                "UTSMode",
                STR,
                "UsernsMode",
                STR,
                "ShmSize",
                INT,
                "Sysctls",
                STR_MAP,
                "Runtime",
                STR,
                "Isolation",
                STR,
                "Mounts",
                new Schema.ListOf(MOUNT),
                "MaskedPaths",
                STR_LIST,
                "ReadonlyPaths",
                STR_LIST,
                "Init",
                BOOL
              },
              RESOURCES));

  /** moby {@code api/types/container.HealthConfig}. */
  private static final Schema.Struct HEALTHCHECK =
      struct(
          "HealthConfig",
          "Test",
          STR_LIST,
          "Interval",
          INT,
          "Timeout",
          INT,
          "StartPeriod",
          INT,
          "StartInterval",
          INT,
          "Retries",
          INT);

  /** moby {@code api/types/network.EndpointSettings} (the parts a create may set). */
  private static final Schema.Struct ENDPOINT_SETTINGS =
      struct(
          "EndpointSettings",
          "IPAMConfig",
          struct(
              "EndpointIPAMConfig",
              "IPv4Address",
              STR,
              "IPv6Address",
              STR,
              "LinkLocalIPs",
              STR_LIST),
          "Links",
          STR_LIST,
          "Aliases",
          STR_LIST,
          "MacAddress",
          STR,
          "DriverOpts",
          STR_MAP,
          "GwPriority",
          INT,
          "NetworkID",
          STR,
          "DNSNames",
          STR_LIST);

  /**
   * moby {@code api/types/container.CreateRequest}: Config with HostConfig and NetworkingConfig.
   */
  public static final Schema.Struct CONTAINER_CREATE =
      struct(
              "CreateRequest",
              "Hostname",
              STR,
              "Domainname",
              STR,
              "User",
              STR,
              "AttachStdin",
              BOOL,
              "AttachStdout",
              BOOL,
              "AttachStderr",
              BOOL,
              "ExposedPorts",
              EMPTY_STRUCT_MAP,
              "Tty",
              BOOL,
              "OpenStdin",
              BOOL,
              "StdinOnce",
              BOOL,
              "Env",
              STR_LIST,
              "Cmd",
              STR_SLICE,
              "Healthcheck",
              HEALTHCHECK,
              "ArgsEscaped",
              BOOL,
              "Image",
              STR,
              "Volumes",
              EMPTY_STRUCT_MAP,
              "WorkingDir",
              STR,
              "Entrypoint",
              STR_SLICE,
              "NetworkDisabled",
              BOOL,
              "MacAddress",
              STR,
              "OnBuild",
              STR_LIST,
              "Labels",
              STR_MAP,
              "StopSignal",
              STR,
              "StopTimeout",
              INT,
              "Shell",
              STR_SLICE,
              "HostConfig",
              HOST_CONFIG,
              "NetworkingConfig",
              struct("NetworkingConfig", "EndpointsConfig", new Schema.MapOf(ENDPOINT_SETTINGS)))
          // Engines up to 26 read these from the top level when HostConfig was absent (JSON-06);
          // current ones ignore them there, so a client that sends them is told, not ignored.
          .refusing(
              HOST_CONFIG.fields().keySet(),
              "a HostConfig field at the top level of a "
                  + "create body, where the daemon ignores it; send it under HostConfig");

  /** moby {@code api/types/container.ExecOptions}. */
  public static final Schema.Struct EXEC_CREATE =
      struct(
          "ExecOptions",
          "User",
          STR,
          "Privileged",
          BOOL,
          "Tty",
          BOOL,
          "ConsoleSize",
          new Schema.ListOf(INT),
          "AttachStdin",
          BOOL,
          "AttachStderr",
          BOOL,
          "AttachStdout",
          BOOL,
          "DetachKeys",
          STR,
          "Env",
          STR_LIST,
          "WorkingDir",
          STR,
          "Cmd",
          STR_SLICE);

  /** moby {@code api/types/container.ExecStartOptions}. */
  public static final Schema.Struct EXEC_START =
      struct(
          "ExecStartOptions", "Detach", BOOL, "Tty", BOOL, "ConsoleSize", new Schema.ListOf(INT));

  /** moby {@code api/types/container.UpdateConfig}: Resources plus RestartPolicy. */
  public static final Schema.Struct CONTAINER_UPDATE =
      struct("UpdateConfig", concat(RESOURCES, new Object[] {"RestartPolicy", RESTART_POLICY}));

  /** The schema for a route whose body is {@link BodyKind#JSON}. */
  public static Schema.Struct forAction(Action action) {
    return DockerApi.spec(action)
        .schema()
        .orElseThrow(() -> new IllegalArgumentException("no schema for " + action.id()));
  }

  private static Object[] concat(Object[] a, Object[] b) {
    Object[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
