package dev.berth.cli.doctor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The dockerd process behind a socket, found in {@code /proc}: its command line (for the settings
 * it started with) and the TCP ports it listens on (whatever its configuration says, a listening
 * TCP socket of dockerd is an endpoint).
 *
 * @param pid the process id
 * @param args its command line, {@code args[0]} the program
 */
record DaemonProcess(int pid, List<String> args) {

  DaemonProcess {
    args = List.copyOf(args);
  }

  /**
   * The dockerd that serves {@code socket}: one started with {@code -H unix://<socket>}, or, for
   * the standard socket, one started without any {@code -H}.
   */
  static Optional<DaemonProcess> serving(Path proc, Path socket) throws IOException {
    List<DaemonProcess> withoutHost = new ArrayList<>();
    for (DaemonProcess p : dockerds(proc)) {
      List<String> hosts = DaemonSettings.read(p.args(), Path.of("/nonexistent")).hosts();
      if (hosts.contains("unix://" + socket)) {
        return Optional.of(p);
      }
      if (hosts.isEmpty()) {
        withoutHost.add(p);
      }
    }
    boolean standard =
        socket.equals(Path.of("/var/run/docker.sock"))
            || socket.equals(Path.of("/run/docker.sock"));
    return standard && withoutHost.size() == 1
        ? Optional.of(withoutHost.getFirst())
        : Optional.empty();
  }

  private static List<DaemonProcess> dockerds(Path proc) throws IOException {
    List<DaemonProcess> found = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(proc, "[0-9]*")) {
      for (Path dir : dirs) {
        byte[] raw;
        try {
          raw = Files.readAllBytes(dir.resolve("cmdline"));
        } catch (NoSuchFileException | AccessDeniedException e) {
          continue; // the process ended, or is not ours to read
        }
        if (raw.length == 0) {
          continue;
        }
        List<String> args = Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0"));
        String program = Path.of(args.getFirst()).getFileName().toString();
        if (program.equals("dockerd")) {
          found.add(new DaemonProcess(Integer.parseInt(dir.getFileName().toString()), args));
        }
      }
    }
    return found;
  }

  /** The local addresses ({@code host:port}) of the TCP sockets this process listens on. */
  List<String> tcpListeners(Path proc) throws IOException {
    Set<String> inodes = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve(pid + "/fd"))) {
      for (Path fd : fds) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring(8, target.length() - 1));
          }
        } catch (IOException e) {
          // the descriptor closed while we looked
        }
      }
    }
    List<String> listening = new ArrayList<>();
    for (String table : List.of("tcp", "tcp6")) {
      Path file = proc.resolve(pid + "/net/" + table);
      if (!Files.exists(file)) {
        continue;
      }
      for (String line : Files.readAllLines(file).stream().skip(1).toList()) {
        String[] f = line.trim().split("\\s+");
        // sl local rem st tx:rx tr:when retrnsmt uid timeout inode; st 0A is LISTEN
        if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
          listening.add(ProcNet.address(f[1]));
        }
      }
    }
    return listening;
  }
}
