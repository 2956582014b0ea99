package io.github.saimjava.spark;

import io.github.saimjava.api.Distributed;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A rank started by {@link BarrierLaunch}: the test's tiny run, its ranks from the environment.
 * Args: OUTPUT_DIR.
 */
public final class SparkRank {
  public static void main(String[] args) throws Exception {
    Distributed d =
        Distributed.fromEnvironment(System.getenv())
            .withHost("127.0.0.1")
            .withTimeout(Duration.ofSeconds(60));
    var s = BarrierLaunchTest.trainer(Path.of(args[0])).distributed(d).build().fit();
    System.out.println(
        "rank " + d.rank() + " of " + d.worldSize() + " finished " + s.steps() + " steps");
  }

  private SparkRank() {}
}
