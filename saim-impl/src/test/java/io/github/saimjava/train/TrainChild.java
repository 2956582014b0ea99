package io.github.saimjava.train;

import io.github.saimjava.api.SaimTrainer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A training run in its own JVM, for tests that kill it or watch its memory. Args: OUTPUT_DIR STEPS
 * CHECKPOINT_EVERY [rss]. With "rss" it prints "rss STEP KB" every 25 steps.
 */
public final class TrainChild {
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    long steps = Long.parseLong(args[1]);
    long every = Long.parseLong(args[2]);
    boolean rss = args.length > 3 && args[3].equals("rss");
    SaimTrainer.Builder b =
        PretrainerTest.trainer(out)
            .epochs(1000)
            .maxSteps(steps)
            .checkpointEvery(every)
            .logEvery(1000);
    if (rss) {
      b.onStep(
          e -> {
            if (e.step() % 25 == 0) {
              System.out.println("rss " + e.step() + " " + rssKb());
            }
          });
    } else {
      b.onStep(
          e -> {
            System.out.println("step " + e.step());
            System.out.flush();
          });
    }
    new Pretrainer(b.build().spec(), new SyntheticBatches(48, 3, 16, 8, 9)).run();
    System.out.println("finished");
  }

  static long rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return -1;
  }

  private TrainChild() {}
}
