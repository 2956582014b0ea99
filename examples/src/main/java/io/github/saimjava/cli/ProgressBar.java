package io.github.saimjava.cli;

import io.github.saimjava.api.EpochEvent;
import io.github.saimjava.api.StepEvent;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on a terminal (redrawn with carriage returns), or one line every {@code
 * every} steps when the output is not a terminal, so logs stay readable.
 */
final class ProgressBar {
  private final PrintStream out;
  private final boolean terminal;
  private final int every;

  ProgressBar(PrintStream out, boolean terminal, int every) {
    this.out = out;
    this.terminal = terminal;
    this.every = Math.max(1, every);
  }

  void onStep(StepEvent e) {
    if (!terminal && e.step() % every != 0 && e.step() != e.totalSteps()) {
      return;
    }
    int width = 24;
    int filled = (int) (width * e.step() / Math.max(1, e.totalSteps()));
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    String line =
        String.format(
            Locale.ROOT,
            "[%s] step %d/%d  epoch %.2f  loss %.4f  lr %.2e  %.1f img/s  ETA %s",
            bar,
            e.step(),
            e.totalSteps(),
            e.epoch(),
            e.loss(),
            e.lr(),
            e.imagesPerSecond(),
            duration(e.etaSeconds()));
    if (terminal) {
      out.print("\r" + line);
      if (e.step() == e.totalSteps()) {
        out.println();
      }
    } else {
      out.println(line);
    }
    out.flush();
  }

  /**
   * Progress over a fixed number of images (evaluation): redrawn on a terminal, every {@code every}
   * images otherwise.
   */
  void onImages(long done, long total, double imagesPerSecond) {
    if (!terminal && done % every != 0 && done != total) {
      return;
    }
    int width = 24;
    int filled = (int) (width * done / Math.max(1, total));
    String bar = "#".repeat(filled) + "-".repeat(width - filled);
    double eta = imagesPerSecond > 0 ? (total - done) / imagesPerSecond : Double.NaN;
    String line =
        String.format(
            Locale.ROOT,
            "[%s] %d/%d images  %.1f img/s  ETA %s",
            bar,
            done,
            total,
            imagesPerSecond,
            duration(eta));
    if (terminal) {
      out.print("\r" + line);
      if (done == total) {
        out.println();
      }
    } else {
      out.println(line);
    }
    out.flush();
  }

  void onEpoch(EpochEvent e) {
    if (terminal) {
      out.print("\r");
    }
    out.printf(
        Locale.ROOT,
        "epoch %d done: mean loss %.4f, %d steps, %.1f s%n",
        e.epoch(),
        e.meanLoss(),
        e.steps(),
        e.seconds());
    out.flush();
  }

  static String duration(double seconds) {
    if (!Double.isFinite(seconds)) {
      return "?";
    }
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60)
        : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
  }
}
