package io.github.saimjava.benchmarks.reproduce;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.jspecify.annotations.Nullable;

/**
 * A line chart of one or more series on shared axes, with a legend under it, drawn with Java 2D
 * (the plots of the result tables: probe accuracy against pre-training epochs, loss against
 * prediction position). Each series is a polyline with a dot per point and, when it has errors, a
 * vertical bar of {@code y ± err} at each point.
 */
public final class LineChart {
  /**
   * One curve.
   *
   * @param label its legend entry
   * @param x abscissae
   * @param y ordinates, as many as {@code x}
   * @param err half-lengths of error bars (as many as {@code x}), or null for none
   */
  public record Series(String label, double[] x, double[] y, double @Nullable [] err) {
    /** Checks that the arrays match and hold finite numbers. */
    public Series {
      if (x.length == 0 || x.length != y.length || (err != null && err.length != x.length)) {
        throw new IllegalArgumentException(
            "series '"
                + label
                + "': x, y (and err) must be non-empty and of one length, got "
                + x.length
                + ", "
                + y.length
                + (err == null ? "" : ", " + err.length));
      }
      for (int i = 0; i < x.length; i++) {
        if (!Double.isFinite(x[i])
            || !Double.isFinite(y[i])
            || (err != null && !Double.isFinite(err[i]))) {
          throw new IllegalArgumentException(
              "series '" + label + "': point " + i + " is not finite");
        }
      }
      x = x.clone();
      y = y.clone();
      err = err == null ? null : err.clone();
    }

    /** A series without error bars. */
    public Series(String label, double[] x, double[] y) {
      this(label, x, y, null);
    }
  }

  /** matplotlib's tab10 colours, in order: series {@code i} is drawn in {@code PALETTE[i % 10]}. */
  static final int[] PALETTE = {
    0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22,
    0x17becf
  };

  private LineChart() {}

  /**
   * A white {@code width x height} image holding one chart.
   *
   * @throws IllegalArgumentException when there is no series or the image is too small to draw on
   */
  public static BufferedImage draw(
      int width, int height, String title, String xLabel, String yLabel, List<Series> series) {
    BufferedImage img = blank(width, height);
    draw(img, 0, 0, width, height, title, xLabel, yLabel, series);
    return img;
  }

  /** A white image of the given size, to draw several charts on. */
  public static BufferedImage blank(int width, int height) {
    if (width < 200 || height < 150) {
      throw new IllegalArgumentException(
          "a chart needs at least 200 x 150 pixels, got " + width + " x " + height);
    }
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    g.dispose();
    return img;
  }

  /** Draws one chart into the {@code width x height} panel of {@code img} at (left, top). */
  public static void draw(
      BufferedImage img,
      int left,
      int top,
      int width,
      int height,
      String title,
      String xLabel,
      String yLabel,
      List<Series> series) {
    if (series.isEmpty()) {
      throw new IllegalArgumentException("chart '" + title + "' has no series");
    }
    double xmin = Double.POSITIVE_INFINITY;
    double xmax = Double.NEGATIVE_INFINITY;
    double ymin = Double.POSITIVE_INFINITY;
    double ymax = Double.NEGATIVE_INFINITY;
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        double e = s.err() == null ? 0 : Math.abs(s.err()[i]);
        xmin = Math.min(xmin, s.x()[i]);
        xmax = Math.max(xmax, s.x()[i]);
        ymin = Math.min(ymin, s.y()[i] - e);
        ymax = Math.max(ymax, s.y()[i] + e);
      }
    }
    if (xmax == xmin) {
      xmin -= 0.5;
      xmax += 0.5;
    }
    if (ymax == ymin) {
      double d = Math.max(1e-12, Math.abs(ymin) * 0.05);
      ymin -= d;
      ymax += d;
    }
    double pad = (ymax - ymin) * 0.06;
    ymin -= pad;
    ymax += pad;
    double xstep = tickStep(xmax - xmin);
    double ystep = tickStep(ymax - ymin);
    xmin = Math.floor(xmin / xstep) * xstep;
    xmax = Math.ceil(xmax / xstep) * xstep;
    ymin = Math.floor(ymin / ystep) * ystep;
    ymax = Math.ceil(ymax / ystep) * ystep;
    Graphics2D g = graphics(img);
    int l = left + 66;
    int r = left + width - 14;
    int t = top + 28;
    int b = top + height - 44 - LEGEND_LINE * legendLines(g, series, r - l);
    g.setColor(Color.BLACK);
    g.drawString(title, l, top + 17);
    g.drawRect(l, t, r - l, b - t);
    for (double xv : ticks(xmin, xmax, xstep)) {
      int px = (int) Math.round(l + (xv - xmin) / (xmax - xmin) * (r - l));
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(px, t + 1, px, b - 1);
      g.setColor(Color.BLACK);
      String xs = format(xv, xstep);
      g.drawString(xs, px - g.getFontMetrics().stringWidth(xs) / 2, b + 15);
    }
    for (double yv : ticks(ymin, ymax, ystep)) {
      int py = (int) Math.round(b - (yv - ymin) / (ymax - ymin) * (b - t));
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(l + 1, py, r - 1, py);
      g.setColor(Color.BLACK);
      String ys = format(yv, ystep);
      g.drawString(ys, l - 5 - g.getFontMetrics().stringWidth(ys), py + 4);
    }
    g.drawString(xLabel, (l + r - g.getFontMetrics().stringWidth(xLabel)) / 2, b + 32);
    Graphics2D v = (Graphics2D) g.create();
    v.rotate(-Math.PI / 2);
    v.drawString(yLabel, -(t + b + v.getFontMetrics().stringWidth(yLabel)) / 2, left + 14);
    v.dispose();
    for (int k = 0; k < series.size(); k++) {
      Series s = series.get(k);
      g.setColor(new Color(PALETTE[k % PALETTE.length]));
      g.setStroke(new BasicStroke(1.6f));
      int n = s.x().length;
      int[] px = new int[n];
      int[] py = new int[n];
      for (int i = 0; i < n; i++) {
        px[i] = (int) Math.round(l + (s.x()[i] - xmin) / (xmax - xmin) * (r - l));
        py[i] = (int) Math.round(b - (s.y()[i] - ymin) / (ymax - ymin) * (b - t));
        if (s.err() != null) {
          int lo = (int) Math.round(b - (s.y()[i] - s.err()[i] - ymin) / (ymax - ymin) * (b - t));
          int hi = (int) Math.round(b - (s.y()[i] + s.err()[i] - ymin) / (ymax - ymin) * (b - t));
          g.drawLine(px[i], lo, px[i], hi);
          g.drawLine(px[i] - 3, lo, px[i] + 3, lo);
          g.drawLine(px[i] - 3, hi, px[i] + 3, hi);
        }
        if (n <= 40) {
          g.fillOval(px[i] - 3, py[i] - 3, 6, 6);
        }
      }
      g.drawPolyline(px, py, n);
    }
    // legend under the x label, entries left to right, wrapping (never over the data)
    int lx = l;
    int ly = b + 52;
    for (int k = 0; k < series.size(); k++) {
      int w = 32 + g.getFontMetrics().stringWidth(series.get(k).label()) + 18;
      if (lx + w > r && lx > l) {
        lx = l;
        ly += LEGEND_LINE;
      }
      g.setColor(new Color(PALETTE[k % PALETTE.length]));
      g.drawLine(lx, ly - 4, lx + 24, ly - 4);
      g.setColor(Color.BLACK);
      g.drawString(series.get(k).label(), lx + 30, ly);
      lx += w;
    }
    g.dispose();
  }

  private static final int LEGEND_LINE = 16;

  /** Lines the legend takes when its entries wrap at {@code width} pixels. */
  private static int legendLines(Graphics2D g, List<Series> series, int width) {
    int lines = 1;
    int x = 0;
    for (Series s : series) {
      int w = 32 + g.getFontMetrics().stringWidth(s.label()) + 18;
      if (x + w > width && x > 0) {
        lines++;
        x = 0;
      }
      x += w;
    }
    return lines;
  }

  /** PNG bytes of {@code img}. */
  public static byte[] png(BufferedImage img) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(img, "png", out)) {
      throw new IOException("no PNG writer available");
    }
    return out.toByteArray();
  }

  private static Graphics2D graphics(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    return g;
  }

  /**
   * The distance between axis ticks for a span: 1, 2 or 5 times a power of ten, the smallest such
   * that the span holds at most eight intervals.
   *
   * @throws IllegalArgumentException when the span is not positive and finite
   */
  static double tickStep(double span) {
    if (!(span > 0) || !Double.isFinite(span)) {
      throw new IllegalArgumentException("an axis span must be positive and finite, got " + span);
    }
    double raw = span / 8;
    double unit = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5}) {
      if (m * unit >= raw * (1 - 1e-9)) {
        return m * unit;
      }
    }
    return 10 * unit;
  }

  /** The multiples of {@code step} from {@code lo} to {@code hi}, both ends included. */
  static double[] ticks(double lo, double hi, double step) {
    long first = Math.round(lo / step);
    long last = Math.round(hi / step);
    double[] out = new double[(int) (last - first + 1)];
    for (int i = 0; i < out.length; i++) {
      out[i] = (first + i) * step;
    }
    return out;
  }

  /** A tick label: as many decimals as the step needs, or scientific notation far from 1. */
  static String format(double v, double step) {
    if (Math.abs(v) < step * 1e-6) {
      return "0";
    }
    double a = Math.abs(v);
    if (a < 1e-2 || a >= 1e5) {
      return String.format(Locale.ROOT, "%.1e", v);
    }
    int decimals = (int) Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
