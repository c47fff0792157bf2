package dev.berth.cli.doctor;

/** How berth stands in front of the daemon; some checks matter in one mode only. */
public enum Mode {
  /** {@code berth serve}: users reach the daemon only through berth's socket. */
  PROXY,
  /** {@code berth plugin}: users reach the daemon's own endpoint, which asks berth. */
  PLUGIN
}
