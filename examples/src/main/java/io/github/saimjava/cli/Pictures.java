package io.github.saimjava.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Draws the pictures of {@code saim visualize}: panels of equal size in a labelled grid, a
 * viridis-like colour map, and line charts. Pure Java2D, headless.
 */
final class Pictures {
  /** Gap between panels and around the grid, pixels. */
  static final int PAD = 8;

  /** Height of the row of column titles above a grid, pixels. */
  static final int HEADER = 22;

  /** Width of the column of row labels left of a grid, pixels. */
  static final int LABEL = 70;

  private Pictures() {}

  /**
   * Nearest-neighbour upscale factor so an image of {@code size} pixels shows at least 128 pixels
   * wide.
   */
  static int scale(int size) {
    return Math.max(1, (128 + size - 1) / size);
  }

  /** Width of a grid of {@code cols} panels of {@code cell} pixels with row labels. */
  static int gridWidth(int cols, int cell) {
    return LABEL + cols * (cell + PAD) + PAD;
  }

  /** Height of a grid of {@code rows} panels of {@code cell} pixels with column titles. */
  static int gridHeight(int rows, int cell) {
    return HEADER + rows * (cell + PAD) + PAD;
  }

  /** A white canvas for a grid with the column titles drawn. */
  static BufferedImage grid(int cols, int rows, int cell, List<String> titles) {
    BufferedImage img =
        new BufferedImage(
            gridWidth(cols, cell), gridHeight(rows, cell), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = graphics(img);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.BLACK);
    for (int c = 0; c < titles.size() && c < cols; c++) {
      g.drawString(titles.get(c), panelX(c, cell), HEADER - 7);
    }
    g.dispose();
    return img;
  }

  static int panelX(int col, int cell) {
    return LABEL + PAD + col * (cell + PAD);
  }

  static int panelY(int row, int cell) {
    return HEADER + row * (cell + PAD);
  }

  /** Writes a row label left of row {@code row}. */
  static void rowLabel(BufferedImage img, int row, int cell, String text) {
    Graphics2D g = graphics(img);
    g.setColor(Color.BLACK);
    String[] lines = text.split("\n");
    for (int i = 0; i < lines.length; i++) {
      g.drawString(lines[i], 4, panelY(row, cell) + cell / 2 + 14 * i - 7 * (lines.length - 1) + 4);
    }
    g.dispose();
  }

  /**
   * Draws an RGB panel ({@code rgb[y][x]} packed 0xRRGGBB, {@code size x size}) upscaled to {@code
   * cell}.
   */
  static void panel(BufferedImage img, int col, int row, int cell, int[][] rgb) {
    int size = rgb.length;
    int s = cell / size;
    int x0 = panelX(col, cell);
    int y0 = panelY(row, cell);
    for (int y = 0; y < cell; y++) {
      for (int x = 0; x < cell; x++) {
        img.setRGB(x0 + x, y0 + y, rgb[Math.min(size - 1, y / s)][Math.min(size - 1, x / s)]);
      }
    }
  }

  /**
   * {@code planes} ({@code C x S x S}, C = 1 or 3) mapped to 0..255 by {@code v * a + b}, clamped.
   */
  static int[][] toRgb(float[] planes, int offset, int channels, int size, float[] a, float[] b) {
    int[][] out = new int[size][size];
    for (int y = 0; y < size; y++) {
      for (int x = 0; x < size; x++) {
        int[] c = new int[3];
        for (int k = 0; k < 3; k++) {
          int ch = channels == 1 ? 0 : k;
          float v = planes[offset + (ch * size + y) * size + x] * a[ch] + b[ch];
          c[k] = Math.max(0, Math.min(255, Math.round(v * 255)));
        }
        out[y][x] = (c[0] << 16) | (c[1] << 8) | c[2];
      }
    }
    return out;
  }

  /**
   * A viridis-like colour for {@code t} in [0, 1]: linear interpolation between nine anchor colours
   * sampled from matplotlib's viridis at t = 0, 1/8, ..., 1 (dark purple to yellow).
   */
  static int viridis(double t) {
    double u = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    int i = Math.min(VIRIDIS.length - 2, (int) u);
    double f = u - i;
    int rgb = 0;
    for (int k = 0; k < 3; k++) {
      int shift = 16 - 8 * k;
      int a = (VIRIDIS[i] >> shift) & 0xff;
      int b = (VIRIDIS[i + 1] >> shift) & 0xff;
      rgb |= (int) Math.round(a + (b - a) * f) << shift;
    }
    return rgb;
  }

  private static final int[] VIRIDIS = {
    0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c, 0x28ae80, 0x5ec962, 0xaddc30, 0xfde725
  };

  /** Width of the colour scale right of a grid: bar, tick labels and a margin, pixels. */
  static final int SCALE = 64;

  /** Width of the colour scale's bar, pixels. */
  static final int SCALE_BAR = 14;

  /**
   * {@code grid} (of {@code rows} rows of {@code cell} pixel panels) widened by {@link #SCALE}
   * pixels holding a colour scale: a {@link #viridis} bar from {@code 0} at the bottom of the last
   * row to {@code 1} at the top of the first, with labels at 0, 0.5 and 1 and a title.
   */
  static BufferedImage withColourScale(
      BufferedImage grid, int rows, int cell, String title, String[] labels) {
    BufferedImage img =
        new BufferedImage(grid.getWidth() + SCALE, grid.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = graphics(img);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.drawImage(grid, 0, 0, null);
    int x0 = grid.getWidth();
    int y0 = panelY(0, cell);
    int y1 = panelY(rows - 1, cell) + cell - 1;
    for (int y = y0; y <= y1; y++) {
      int rgb = viridis((y1 - y) / (double) (y1 - y0));
      for (int x = x0; x < x0 + SCALE_BAR; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    g.setColor(Color.BLACK);
    g.drawRect(x0, y0, SCALE_BAR - 1, y1 - y0);
    g.drawString(title, x0 - 8, HEADER - 7);
    for (int i = 0; i < labels.length; i++) {
      int y = y1 - (int) Math.round((y1 - y0) * i / (double) (labels.length - 1));
      g.drawLine(x0 + SCALE_BAR, y, x0 + SCALE_BAR + 3, y);
      g.drawString(labels[i], x0 + SCALE_BAR + 6, y + 4);
    }
    g.dispose();
    return img;
  }

  /** Blends {@code over} onto {@code under} with weight {@code alpha}. */
  static int blend(int under, int over, double alpha) {
    int rgb = 0;
    for (int shift = 0; shift <= 16; shift += 8) {
      int a = (under >> shift) & 0xff;
      int b = (over >> shift) & 0xff;
      rgb |= (int) Math.round(a * (1 - alpha) + b * alpha) << shift;
    }
    return rgb;
  }

  /**
   * The prediction step of every patch: {@code step[p] = s} where {@code order[s] = p}.
   *
   * @throws IllegalArgumentException when {@code order} is not a permutation
   */
  static int[] stepOfPatch(long[] order) {
    int[] step = new int[order.length];
    Arrays.fill(step, -1);
    for (int s = 0; s < order.length; s++) {
      int p = Math.toIntExact(order[s]);
      if (p < 0 || p >= order.length || step[p] >= 0) {
        throw new IllegalArgumentException("not a permutation: " + Arrays.toString(order));
      }
      step[p] = s;
    }
    return step;
  }

  /**
   * Draws a {@code grid x grid} heat map of {@code values} in [0, 1] into a panel, optional labels
   * per cell.
   */
  static void heatMap(
      BufferedImage img,
      int col,
      int row,
      int cell,
      int gridSize,
      double[] values,
      String @org.jspecify.annotations.Nullable [] labels) {
    Graphics2D g = graphics(img);
    int s = cell / gridSize;
    int x0 = panelX(col, cell);
    int y0 = panelY(row, cell);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(8, s / 2 - 2)));
    for (int i = 0; i < values.length; i++) {
      int cx = x0 + (i % gridSize) * s;
      int cy = y0 + (i / gridSize) * s;
      g.setColor(new Color(viridis(values[i])));
      g.fillRect(cx, cy, s, s);
      if (labels != null) {
        g.setColor(values[i] > 0.6 ? Color.BLACK : Color.WHITE);
        int w = g.getFontMetrics().stringWidth(labels[i]);
        g.drawString(
            labels[i], cx + (s - w) / 2, cy + s / 2 + g.getFontMetrics().getAscent() / 2 - 1);
      }
    }
    g.dispose();
  }

  /**
   * A line chart of {@code y} against {@code x}, {@code width x height}, with axes, ticks and a
   * title.
   */
  static void lineChart(
      BufferedImage img,
      int left,
      int top,
      int width,
      int height,
      String title,
      String xLabel,
      double[] x,
      double[] y,
      Color colour) {
    Graphics2D g = graphics(img);
    int l = left + 62;
    int r = left + width - 12;
    int t = top + 26;
    int b = top + height - 38;
    // round ticks (1, 2 or 5 times a power of ten); the axes run from the first tick to the last
    AxisTicks xt = AxisTicks.of(min(x), max(x), true);
    AxisTicks yt = AxisTicks.of(min(y), max(y), false);
    double xmin = xt.lo();
    double xmax = xt.hi();
    double ymin = yt.lo();
    double ymax = yt.hi();
    g.setColor(Color.BLACK);
    g.drawString(title, l, top + 16);
    g.drawRect(l, t, r - l, b - t);
    for (int i = 0; i < xt.count(); i++) {
      int px = (int) Math.round(l + (xt.value(i) - xmin) / (xmax - xmin) * (r - l));
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(px, t + 1, px, b - 1);
      g.setColor(Color.BLACK);
      String s = xt.label(i);
      g.drawString(s, px - g.getFontMetrics().stringWidth(s) / 2, b + 14);
    }
    for (int i = 0; i < yt.count(); i++) {
      int py = (int) Math.round(b - (yt.value(i) - ymin) / (ymax - ymin) * (b - t));
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(l + 1, py, r - 1, py);
      g.setColor(Color.BLACK);
      String ys = yt.label(i);
      g.drawString(ys, l - 4 - g.getFontMetrics().stringWidth(ys), py + 4);
    }
    g.drawString(xLabel, (l + r - g.getFontMetrics().stringWidth(xLabel)) / 2, b + 30);
    g.setColor(colour);
    g.setStroke(new BasicStroke(1.5f));
    int[] px = new int[x.length];
    int[] py = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      px[i] = (int) Math.round(l + (x[i] - xmin) / (xmax - xmin) * (r - l));
      py[i] = (int) Math.round(b - (y[i] - ymin) / (ymax - ymin) * (b - t));
    }
    g.drawPolyline(px, py, x.length);
    g.dispose();
  }

  private static double min(double[] v) {
    double m = Double.POSITIVE_INFINITY;
    for (double d : v) {
      m = Math.min(m, d);
    }
    return m;
  }

  private static double max(double[] v) {
    double m = Double.NEGATIVE_INFINITY;
    for (double d : v) {
      m = Math.max(m, d);
    }
    return m;
  }

  static Graphics2D graphics(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    return g;
  }

  /** PNG bytes of {@code img}. */
  static byte[] png(BufferedImage img) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(img, "png", out)) {
      throw new IOException("no PNG writer available");
    }
    return out.toByteArray();
  }
}
