package dev.berth.bench;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Flame graph of a JFR recording, rendered to PNG with the JDK alone (Java2D, ImageIO), plus a text
 * reading of the same samples on stdout: the hottest frames by self weight and the berth frames by
 * inclusive weight.
 *
 * <p>Design note. CPU samples are {@code jdk.CPUTimeSample} when the recording has them (JDK 25,
 * Linux: sampled by CPU time, so a thread that waits costs nothing, and sampling is dense enough on
 * a loaded machine) and {@code jdk.ExecutionSample} otherwise; allocation samples are {@code
 * jdk.ObjectAllocationSample}, each weighted by the bytes it stands for. Stacks are merged root
 * first into a tree; a frame is a class's simple name and a method. Colour says whose code a frame
 * is: berth (orange), Netty (blue), Jackson (green), the JDK (grey), anything else (sand). Only
 * threads whose name starts with one of the given prefixes count, so the recorder's own threads and
 * the JIT stay out.
 */
public final class FlameGraph {
  private static final int WIDTH = 1800;
  private static final int ROW = 17;
  private static final int MAX_DEPTH = 60;

  private FlameGraph() {}

  /** One frame of the merged tree: its total weight and its callees. */
  private static final class Node {
    final String name;
    long total;
    long self;
    final Map<String, Node> children = new LinkedHashMap<>();

    Node(String name) {
      this.name = name;
    }

    Node child(String n) {
      return children.computeIfAbsent(n, Node::new);
    }

    int depth() {
      int d = 0;
      for (Node c : children.values()) {
        d = Math.max(d, c.depth());
      }
      return d + 1;
    }
  }

  public static void main(String[] args) throws IOException {
    String in = null;
    String out = null;
    String kind = "cpu";
    String title = "";
    List<String> threads =
        new ArrayList<>(
            List.of("multiThreadIoEventLoopGroup", "berth-", "ForkJoinPool", "virtual"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--jfr" -> in = args[i + 1];
        case "--out" -> out = args[i + 1];
        case "--kind" -> kind = args[i + 1];
        case "--title" -> title = args[i + 1];
        case "--threads" -> threads = List.of(args[i + 1].split(","));
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (in == null || !(kind.equals("cpu") || kind.equals("alloc"))) {
      System.err.println(
          "usage: FlameGraph --jfr FILE [--out PNG] [--kind cpu|alloc] "
              + "[--title TEXT] [--threads PREFIX,...]");
      System.exit(2);
    }
    List<RecordedEvent> events = RecordingFile.readAllEvents(Path.of(in));
    String eventName =
        kind.equals("alloc")
            ? "jdk.ObjectAllocationSample"
            : events.stream().anyMatch(e -> e.getEventType().getName().equals("jdk.CPUTimeSample"))
                ? "jdk.CPUTimeSample"
                : "jdk.ExecutionSample";
    Node root = new Node("all");
    Map<String, Long> selfByFrame = new HashMap<>();
    Map<String, Long> berthInclusive = new HashMap<>();
    for (RecordedEvent e : events) {
      if (!e.getEventType().getName().equals(eventName) || e.getStackTrace() == null) {
        continue;
      }
      RecordedThread t =
          e.hasField("eventThread")
              ? e.getThread("eventThread")
              : e.hasField("sampledThread") ? e.getThread("sampledThread") : null;
      String tn = t == null || t.getJavaName() == null ? "?" : t.getJavaName();
      if (t != null && t.isVirtual()) {
        tn = "virtual";
      }
      String threadName = tn;
      if (threads.stream().noneMatch(threadName::startsWith)) {
        continue;
      }
      long w = kind.equals("alloc") ? e.getLong("weight") : 1;
      RecordedStackTrace st = e.getStackTrace();
      List<RecordedFrame> frames = st.getFrames();
      Node n = root;
      n.total += w;
      Set<String> seen = new HashSet<>();
      for (int i = frames.size() - 1; i >= 0; i--) {
        String f = frameName(frames.get(i));
        n = n.child(f);
        n.total += w;
        if (f.startsWith("berth:") && seen.add(f)) {
          berthInclusive.merge(f, w, Long::sum);
        }
      }
      n.self += w;
      if (!frames.isEmpty()) {
        selfByFrame.merge(frameName(frames.get(0)), w, Long::sum);
      }
    }
    report(title, eventName, root, selfByFrame, berthInclusive, kind);
    if (out != null) {
      render(root, title + "  (" + eventName + ", " + unit(root.total, kind) + ")", Path.of(out));
    }
  }

  private static String unit(long v, String kind) {
    return kind.equals("alloc") ? String.format(Locale.ROOT, "%.1f MB", v / 1e6) : v + " samples";
  }

  private static void report(
      String title,
      String eventName,
      Node root,
      Map<String, Long> self,
      Map<String, Long> berth,
      String kind) {
    System.out.printf(Locale.ROOT, "== %s: %s, %s%n", title, eventName, unit(root.total, kind));
    System.out.println("-- top frames by self weight");
    top(self, root.total, 20);
    System.out.println("-- berth frames by inclusive weight");
    top(berth, root.total, 25);
  }

  private static void top(Map<String, Long> m, long total, int n) {
    m.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(n)
        .forEach(
            en ->
                System.out.printf(
                    Locale.ROOT,
                    "%6.2f%%  %s%n",
                    100.0 * en.getValue() / Math.max(1, total),
                    en.getKey()));
  }

  private static String frameName(RecordedFrame f) {
    String cls = f.getMethod().getType().getName();
    String owner =
        cls.startsWith("dev.berth.")
            ? "berth:"
            : cls.startsWith("io.netty.")
                ? "netty:"
                : cls.startsWith("com.fasterxml.")
                    ? "jackson:"
                    : cls.startsWith("java.") || cls.startsWith("jdk.") || cls.startsWith("sun.")
                        ? "jdk:"
                        : "lib:";
    String simple = cls.substring(cls.lastIndexOf('.') + 1);
    return owner + simple + "." + f.getMethod().getName();
  }

  private static Color colour(String name, int salt) {
    int jitter = Math.floorMod(name.hashCode() + salt, 40);
    if (name.startsWith("berth:")) {
      return new Color(235, 120 + jitter, 40);
    } else if (name.startsWith("netty:")) {
      return new Color(80 + jitter, 140 + jitter, 220);
    } else if (name.startsWith("jackson:")) {
      return new Color(90 + jitter, 190, 90 + jitter);
    } else if (name.startsWith("jdk:")) {
      return new Color(170 + jitter, 170 + jitter, 170 + jitter);
    }
    return new Color(220, 200 + jitter / 2, 150);
  }

  private static void render(Node root, String title, Path out) throws IOException {
    int depth = Math.min(root.depth(), MAX_DEPTH);
    int height = (depth + 2) * ROW + 8;
    BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, height);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    g.setColor(Color.BLACK);
    g.drawString(title, 6, ROW - 4);
    draw(g, root, 0, WIDTH, height - ROW - 4, 0, (double) WIDTH / Math.max(1, root.total));
    g.dispose();
    ImageIO.write(img, "png", out.toFile());
  }

  private static void draw(
      Graphics2D g, Node n, double x, double w, int y, int level, double scale) {
    if (w < 1 || level >= MAX_DEPTH) {
      return;
    }
    g.setColor(colour(n.name, level));
    g.fillRect((int) x, y, Math.max(1, (int) w - 1), ROW - 1);
    FontMetrics fm = g.getFontMetrics();
    String label = n.name.substring(n.name.indexOf(':') + 1);
    if (w > 30) {
      String shown = label;
      while (fm.stringWidth(shown) > w - 6 && shown.length() > 3) {
        shown = shown.substring(0, shown.length() - 2);
      }
      if (!shown.equals(label)) {
        shown = shown.length() > 3 ? shown.substring(0, shown.length() - 1) + "…" : "";
      }
      g.setColor(Color.BLACK);
      g.drawString(shown, (int) x + 3, y + ROW - 5);
    }
    double cx = x;
    List<Node> kids = new ArrayList<>(n.children.values());
    kids.sort(Comparator.comparing(k -> k.name));
    for (Node c : kids) {
      double cw = c.total * scale;
      draw(g, c, cx, cw, y - ROW, level + 1, scale);
      cx += cw;
    }
  }
}
