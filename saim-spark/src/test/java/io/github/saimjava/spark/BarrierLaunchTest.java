package io.github.saimjava.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Pre-training ranks launched as a Spark barrier stage in {@code local[2]}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BarrierLaunchTest {
  static final SaimConfig TINY =
      SaimConfig.vitTiny().toBuilder()
          .imageSize(32)
          .patchSize(8)
          .width(32)
          .depth(2)
          .heads(2)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  SparkSession spark;

  static SaimTrainer.Builder trainer(Path out) {
    return SaimTrainer.builder()
        .config(TINY)
        .batchSize(8)
        .epochs(1)
        .maxSteps(10)
        .lr(2e-3)
        .clipGrad(1.0)
        .seed(5)
        .threads(1)
        .augmentation(Augmentation.FLIP_ONLY)
        .outputDir(out);
  }

  @BeforeAll
  void start() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("saim-barrier-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
  }

  @AfterAll
  void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void twoBarrierTasksTrainToTheWeightsOfOneProcess(@TempDir Path dir) throws Exception {
    trainer(dir.resolve("single")).build().fit();
    List<String> last =
        BarrierLaunch.run(
            spark, 2, SparkRank.class.getName(), List.of(dir.resolve("ranks").toString()));
    assertEquals(List.of("rank 0 of 2 finished 10 steps", "rank 1 of 2 finished 10 steps"), last);
    Map<String, HostTensor> a = SafeTensors.read(dir.resolve("single/final.safetensors")).tensors();
    Map<String, HostTensor> b = SafeTensors.read(dir.resolve("ranks/final.safetensors")).tensors();
    assertEquals(a.keySet(), b.keySet());
    double worst = 0;
    for (String k : a.keySet()) {
      if (k.endsWith(".attn.k.bias")) {
        continue; // rounding noise: see saim-impl's DistributedTrainingTest
      }
      float[] x = a.get(k).toFloatArray();
      float[] y = b.get(k).toFloatArray();
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < x.length; i++) {
        diff += (x[i] - y[i]) * (double) (x[i] - y[i]);
        norm += x[i] * (double) x[i];
      }
      double rel = Math.sqrt(diff / Math.max(norm, 1e-30));
      assertTrue(rel <= 1e-4, k + ": relative difference " + rel);
      worst = Math.max(worst, rel);
    }
    System.out.printf(
        "Spark barrier, 2 ranks vs 1 process: largest relative L2 difference per tensor %.2e%n",
        worst);
    assertTrue(Files.exists(dir.resolve("ranks/metrics.jsonl")));
  }

  @Test
  void aFailingRankFailsTheStageNamingIt() {
    Exception e =
        assertThrows(
            Exception.class,
            () -> BarrierLaunch.run(spark, 2, FailingRank.class.getName(), List.of()));
    String all = String.valueOf(e.getMessage());
    assertTrue(all.contains("rank 1 of 2 exited with code 7: rank 1 gives up"), all);
  }

  @Test
  void everyRankGetsTheSameNewRendezvousSecretOfEachLaunch() {
    List<String> first = BarrierLaunch.run(spark, 2, SecretRank.class.getName(), List.of());
    List<String> second = BarrierLaunch.run(spark, 2, SecretRank.class.getName(), List.of());
    assertEquals(2, first.size());
    assertEquals(first.get(0), first.get(1));
    assertTrue(first.get(0).matches("secret of 64 characters, hash -?[0-9]+"), first.get(0));
    assertTrue(!first.get(0).equals(second.get(0)), "the secret of a relaunch is not new");
  }

  /** Prints the length and hash of the rendezvous secret it was given. */
  public static final class SecretRank {
    public static void main(String[] args) {
      String s = System.getenv("SAIM_RENDEZVOUS_SECRET");
      System.out.println("secret of " + s.length() + " characters, hash " + s.hashCode());
    }
  }

  /** Rank 1 fails at once; rank 0 succeeds. */
  public static final class FailingRank {
    public static void main(String[] args) {
      int rank = Integer.parseInt(System.getenv("RANK"));
      System.out.println("rank " + rank + (rank == 1 ? " gives up" : " is fine"));
      System.exit(rank == 1 ? 7 : 0);
    }
  }
}
