package dev.berth.bench;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/** What the benches' PNG charts share ({@link RatioPlot}, {@link LatencyPlot}): JDK only. */
final class Chart {
  /** The colour of a chart's n-th series. */
  static final Color[] COLOURS = {
    new Color(70, 130, 200),
    new Color(235, 120, 40),
    new Color(150, 150, 150),
    new Color(90, 180, 90)
  };

  private Chart() {}

  /** {@code img} painted white with {@code title}, ready for 11-point text. */
  static Graphics2D canvas(BufferedImage img, String title) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
    g.drawString(title, 10, 20);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    return g;
  }

  /** A legend along the bottom from {@code x}: a square of each series' colour and its name. */
  static int legend(Graphics2D g, List<String> names, int x, int height) {
    for (int t = 0; t < names.size(); t++) {
      g.setColor(COLOURS[t % COLOURS.length]);
      g.fillRect(x, height - 18, 12, 12);
      g.setColor(Color.BLACK);
      g.drawString(names.get(t), x + 16, height - 8);
      x += 100;
    }
    return x;
  }

  /** The median of {@code values}, 0 when there are none. */
  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Double> s = new ArrayList<>(values);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
