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
 * Bar chart of bench/run's results (its TSV) as PNG, JDK only: per scenario, each proxy's
 * throughput as a fraction of direct (median of the per-round ratios; for wall times, direct time
 * over the proxy's), with a line at 1.0 (as fast as the daemon's own socket).
 *
 * <p>Usage: {@code RatioPlot RESULTS.tsv OUT.png [TITLE]}.
 */
public final class RatioPlot {
  private RatioPlot() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: RatioPlot RESULTS.tsv OUT.png [TITLE]");
      System.exit(2);
    }
    // scenario -> target -> round -> (sum, count)
    Map<String, Map<String, Map<String, double[]>>> data = new LinkedHashMap<>();
    Map<String, String> units = new LinkedHashMap<>();
    List<String> targets = new ArrayList<>();
    List<String> lines = Files.readAllLines(Path.of(args[0]));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t");
      double v;
      try {
        v = Double.parseDouble(f[3]);
      } catch (NumberFormatException e) {
        continue;
      }
      if (!targets.contains(f[2])) {
        targets.add(f[2]);
      }
      units.put(f[1], f[4]);
      double[] acc =
          data.computeIfAbsent(f[1], k -> new LinkedHashMap<>())
              .computeIfAbsent(f[2], k -> new LinkedHashMap<>())
              .computeIfAbsent(f[0], k -> new double[2]);
      acc[0] += v;
      acc[1]++;
    }
    targets.remove("direct");
    Map<String, double[]> ratios = new LinkedHashMap<>();
    for (var scenario : data.entrySet()) {
      Map<String, double[]> direct = scenario.getValue().get("direct");
      double[] r = new double[targets.size()];
      for (int t = 0; t < targets.size(); t++) {
        Map<String, double[]> of = scenario.getValue().get(targets.get(t));
        List<Double> perRound = new ArrayList<>();
        if (direct != null && of != null) {
          for (var round : of.entrySet()) {
            double[] d = direct.get(round.getKey());
            if (d != null && d[0] > 0 && round.getValue()[0] > 0) {
              double a = round.getValue()[0] / round.getValue()[1];
              double b = d[0] / d[1];
              perRound.add("ms".equals(units.get(scenario.getKey())) ? b / a : a / b);
            }
          }
        }
        r[t] = Chart.median(perRound);
      }
      ratios.put(scenario.getKey(), r);
    }
    render(
        ratios,
        targets,
        args.length > 2 ? args[2] : "throughput relative to direct",
        Path.of(args[1]));
  }

  private static void render(
      Map<String, double[]> ratios, List<String> targets, String title, Path out)
      throws IOException {
    int left = 120;
    int top = 40;
    int groupHeight = 14 * targets.size() + 14;
    int width = 900;
    int plotWidth = width - left - 60;
    int height = top + groupHeight * ratios.size() + 50;
    double max = 1.2;
    for (double[] r : ratios.values()) {
      for (double v : r) {
        max = Math.max(max, Math.min(v, 3.0) * 1.05);
      }
    }
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = Chart.canvas(img, title);
    int y = top;
    for (var e : ratios.entrySet()) {
      g.setColor(Color.BLACK);
      g.drawString(e.getKey(), 10, y + groupHeight / 2);
      for (int t = 0; t < targets.size(); t++) {
        double v = e.getValue()[t];
        int w = (int) (Math.min(v, max) / max * plotWidth);
        g.setColor(Chart.COLOURS[t % Chart.COLOURS.length]);
        g.fillRect(left, y + t * 14, Math.max(w, 1), 12);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.2f", v), left + w + 4, y + t * 14 + 10);
      }
      y += groupHeight;
    }
    int one = left + (int) (1.0 / max * plotWidth);
    g.setColor(Color.DARK_GRAY);
    g.setStroke(
        new BasicStroke(
            1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 4}, 0));
    g.drawLine(one, top - 6, one, y);
    g.drawString("1.0 = direct", one - 30, y + 14);
    Chart.legend(g, targets, left, height);
    g.dispose();
    ImageIO.write(img, "png", out.toFile());
  }
}
