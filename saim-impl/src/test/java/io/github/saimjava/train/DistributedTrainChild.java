package io.github.saimjava.train;

import io.github.saimjava.api.Distributed;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.distributed.CollectiveException;
import io.github.saimjava.distributed.Collectives;
import io.github.saimjava.distributed.GlooCollective;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One rank of a data-parallel run in its own JVM, through the public API (so the data is the real
 * sharded loader). Args: OUTPUT_DIR RANK WORLD_SIZE RENDEZVOUS STEPS CHECKPOINT_EVERY TIMEOUT_MS.
 * Prints which collective it uses and whether Gloo could load ("collective java, gloo loadable
 * false"), "step N" after each step and "finished" at the end; a failed collective prints "error:
 * MESSAGE" and exits with 3.
 */
public final class DistributedTrainChild {
  public static void main(String[] args) throws Exception {
    Path out = Path.of(args[0]);
    int rank = Integer.parseInt(args[1]);
    int size = Integer.parseInt(args[2]);
    String rendezvous = args[3];
    long steps = Long.parseLong(args[4]);
    long every = Long.parseLong(args[5]);
    long timeoutMs = Long.parseLong(args[6]);
    System.out.println(
        "collective " + Collectives.chosen() + ", gloo loadable " + GlooCollective.isAvailable());
    SaimTrainer.Builder b =
        DistributedTrainingTest.trainer(out, steps)
            .checkpointEvery(every)
            .onStep(
                e -> {
                  System.out.println("step " + e.step());
                  System.out.flush();
                });
    if (size > 1) {
      b.distributed(
          Distributed.of(size, rank, rendezvous)
              .withHost("127.0.0.1")
              .withTimeout(Duration.ofMillis(timeoutMs)));
    }
    try {
      b.build().fit();
    } catch (CollectiveException e) {
      System.out.println("error: " + e.getMessage());
      System.out.flush();
      System.exit(3);
    }
    System.out.println("finished");
  }

  private DistributedTrainChild() {}
}
