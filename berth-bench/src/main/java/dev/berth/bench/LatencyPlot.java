package dev.berth.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * Latency percentiles of a benchmark's TSV as a PNG, JDK only: per group, one bar per target from 0
 * to its p50, continued in a lighter shade to its p99, on a logarithmic microsecond axis.
 *
 * <p>Design note. It reads either file the benches write, told apart by the header: bench/run's
 * results ({@code round scenario target value unit p50_us p99_us errors}; the groups are the HTTP
 * scenarios, which have percentiles, and each bar is the median over the rounds of that target's
 * p50 and p99), or bench/plugin's ({@code connections decisions_s p50_us p90_us p99_us ...}; a
 * group per connection count, one bar, labelled with the decisions per second). A log axis because
 * the percentiles of one file span three orders of magnitude (a {@code _ping} and a create).
 *
 * <p>Usage: {@code LatencyPlot RESULTS.tsv OUT.png [TITLE]}.
 */
public final class LatencyPlot {
  /** One bar: a target's p50 and p99 in microseconds, and what to write after it. */
  record Bar(String target, double p50, double p99, String label) {}

  private LatencyPlot() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: LatencyPlot RESULTS.tsv OUT.png [TITLE]");
      System.exit(2);
    }
    List<String> lines = Files.readAllLines(Path.of(args[0]));
    Map<String, List<Bar>> groups =
        lines.getFirst().startsWith("connections\t") ? plugin(lines) : run(lines);
    render(groups, args.length > 2 ? args[2] : "latency p50 and p99 (us, log scale)", args[1]);
  }

  /** bench/run's TSV: per HTTP scenario and target, the medians over the rounds. */
  static Map<String, List<Bar>> run(List<String> lines) {
    Map<String, Map<String, List<double[]>>> seen = new LinkedHashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t");
      if (f.length < 7 || f[5].equals("-") || f[6].equals("-")) {
        continue;
      }
      try {
        double[] p = {Double.parseDouble(f[5]), Double.parseDouble(f[6])};
        seen.computeIfAbsent(f[1], k -> new LinkedHashMap<>())
            .computeIfAbsent(f[2], k -> new ArrayList<>())
            .add(p);
      } catch (NumberFormatException e) {
        // a failed measurement ("?"): bench/run lists it as an anomaly
      }
    }
    Map<String, List<Bar>> groups = new LinkedHashMap<>();
    seen.forEach(
        (scenario, targets) -> {
          List<Bar> bars = new ArrayList<>();
          for (String target : ordered(new ArrayList<>(targets.keySet()))) {
            List<double[]> rounds = targets.getOrDefault(target, List.of());
            double p50 = Chart.median(rounds.stream().map(p -> p[0]).toList());
            double p99 = Chart.median(rounds.stream().map(p -> p[1]).toList());
            bars.add(new Bar(target, p50, p99, micros(p50) + " / " + micros(p99)));
          }
          groups.put(scenario, bars);
        });
    return groups;
  }

  /** bench/plugin's TSV: a group per connection count. */
  static Map<String, List<Bar>> plugin(List<String> lines) {
    Map<String, List<Bar>> groups = new LinkedHashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t");
      try {
        double p50 = Double.parseDouble(f[2]);
        double p99 = Double.parseDouble(f[4]);
        String label =
            micros(p50) + " / " + micros(p99) + ", " + Math.round(Double.parseDouble(f[1])) + "/s";
        groups.put(f[0] + " conn", List.of(new Bar("plugin", p50, p99, label)));
      } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
        // an incomplete line (the run failed at that connection count)
      }
    }
    return groups;
  }

  private static String micros(double us) {
    if (us >= 1_000_000) {
      return String.format(Locale.ROOT, "%.1f s", us / 1_000_000);
    }
    return us >= 1000
        ? String.format(Locale.ROOT, "%.1f ms", us / 1000)
        : String.format(Locale.ROOT, "%.0f us", us);
  }

  /** {@code c} mixed with white, for the p99 part of a bar. */
  private static Color light(Color c) {
    return new Color(
        (c.getRed() + 2 * 255) / 3, (c.getGreen() + 2 * 255) / 3, (c.getBlue() + 2 * 255) / 3);
  }

  /** The targets in bench/run's column order, others after them. */
  private static List<String> ordered(List<String> targets) {
    List<String> out = new ArrayList<>();
    for (String known : List.of("direct", "haproxy", "berth", "base")) {
      if (targets.contains(known)) {
        out.add(known);
      }
    }
    targets.stream().filter(t -> !out.contains(t)).forEach(out::add);
    return out;
  }

  private static void render(Map<String, List<Bar>> groups, String title, String out)
      throws IOException {
    List<String> seen = new ArrayList<>();
    double lo = Double.MAX_VALUE;
    double hi = 10;
    for (List<Bar> bars : groups.values()) {
      for (Bar b : bars) {
        if (!seen.contains(b.target())) {
          seen.add(b.target());
        }
        lo = Math.min(lo, Math.max(b.p50(), 1));
        hi = Math.max(hi, b.p99());
      }
    }
    List<String> targets = ordered(seen);
    double from = Math.pow(10, Math.floor(Math.log10(Math.min(lo, hi))));
    double to = Math.pow(10, Math.ceil(Math.log10(hi)));
    int left = 110;
    int top = 40;
    int plotWidth = 640;
    int width = left + plotWidth + 170;
    int rowsTotal = groups.values().stream().mapToInt(List::size).sum();
    int height = top + rowsTotal * 14 + groups.size() * 12 + 60;
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = Chart.canvas(img, title);
    double span = Math.log10(to / from);
    int y = top;
    for (var e : groups.entrySet()) {
      g.setColor(Color.BLACK);
      g.drawString(e.getKey(), 10, y + e.getValue().size() * 7 + 4);
      for (Bar b : e.getValue()) {
        Color c = Chart.COLOURS[targets.indexOf(b.target()) % Chart.COLOURS.length];
        int x50 = left + (int) (Math.log10(Math.max(b.p50(), from) / from) / span * plotWidth);
        int x99 = left + (int) (Math.log10(Math.max(b.p99(), from) / from) / span * plotWidth);
        g.setColor(light(c));
        g.fillRect(left, y + 2, Math.max(x99 - left, 1), 8);
        g.setColor(c);
        g.fillRect(left, y, Math.max(x50 - left, 1), 12);
        g.setColor(Color.BLACK);
        g.drawString(b.label(), Math.max(x50, x99) + 4, y + 10);
        y += 14;
      }
      y += 12;
    }
    g.setColor(Color.DARK_GRAY);
    g.setStroke(
        new BasicStroke(
            1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {2, 4}, 0));
    for (double tick = from; tick <= to * 1.0001; tick *= 10) {
      int x = left + (int) (Math.log10(tick / from) / span * plotWidth);
      g.drawLine(x, top - 6, x, y);
      g.drawString(micros(tick), x - 12, y + 14);
    }
    int lx = Chart.legend(g, targets, left, height);
    g.drawString("dark: p50, light: p99", lx + 20, height - 8);
    g.dispose();
    ImageIO.write(img, "png", Path.of(out).toFile());
  }
}
