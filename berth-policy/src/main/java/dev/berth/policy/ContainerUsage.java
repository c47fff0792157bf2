package dev.berth.policy;

/**
 * What a container holds against a {@link Quota}.
 *
 * @param id the container's full id
 * @param active running, paused or restarting
 * @param memory its memory limit in bytes, 0 for none
 * @param nanoCpus its CPU limit (a CFS quota counted as quota / period CPUs), 0 for none
 * @param pids its PID limit, 0 (or negative) for none
 */
public record ContainerUsage(String id, boolean active, long memory, long nanoCpus, long pids) {}
