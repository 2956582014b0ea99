package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.github.saimjava.api.Distributed;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimTrainer;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The ranks of a world compare their settings before step 0 ({@link WorldAgreement}): each class of
 * setting that determines the computation, changed on one rank, stops every rank with the same line
 * naming it and both values; a consistent world passes in three collectives whatever its size.
 */
class WorldAgreementTest {
  static final int DATASET = 120;

  static SaimTrainer.Builder trainer(int worldSize, int rank) {
    return DistributedTrainingTest.trainer(Path.of("out"), 20)
        .distributed(Distributed.of(worldSize, rank, "file:/tmp/unused"));
  }

  /** The settings rank {@code rank} of a world of {@code size} sends, with its builder changed. */
  static JsonObject settings(SaimTrainer trainer, int datasetSize) {
    SaimTrainer.Spec t = trainer.spec();
    int perEpoch = EpochSteps.count(datasetSize, t.batchSize(), t.accumIter());
    long total =
        Math.min((long) perEpoch * t.epochs(), t.maxSteps() > 0 ? t.maxSteps() : Long.MAX_VALUE);
    return Pretrainer.worldSettings(Pretrainer.runConfig(t, datasetSize, perEpoch, total), t);
  }

  /** Runs the check on a world of two where rank 1's settings are {@code change}d. */
  static List<Object> worldOfTwo(UnaryOperator<JsonObject> change) throws Exception {
    JsonObject zero = settings(trainer(2, 0).build(), DATASET);
    JsonObject one = change.apply(settings(trainer(2, 1).build(), DATASET));
    return new ThreadWorld(2)
        .run(
            c -> {
              WorldAgreement.check(c, c.rank() == 0 ? zero : one);
              return "agreed";
            });
  }

  /** Asserts both ranks refused with the same line, naming {@code key} and both values. */
  static void assertRefused(List<Object> results, String key, String on0, String on1) {
    String want =
        "rank 1 was launched with other settings than rank 0: "
            + key
            + " is "
            + on0
            + " on rank 0 and "
            + on1
            + " on rank 1; launch every rank with the same settings (nothing was trained or"
            + " written)";
    for (Object r : results) {
      assertInstanceOf(IllegalArgumentException.class, r, String.valueOf(r));
      assertEquals(want, ((IllegalArgumentException) r).getMessage());
    }
  }

  static UnaryOperator<JsonObject> built(UnaryOperator<SaimTrainer.Builder> change, int size) {
    return ignored -> settings(change.apply(trainer(2, 1)).build(), size);
  }

  @Test
  void aConsistentWorldAgreesInThreeCollectivesWhateverItsSize() throws Exception {
    for (int size : new int[] {2, 4, 6}) {
      ThreadWorld world = new ThreadWorld(size);
      List<Object> results =
          world.run(
              c -> {
                WorldAgreement.check(c, settings(trainer(size, c.rank()).build(), DATASET));
                return "agreed";
              });
      assertEquals(List.of("agreed"), results.stream().distinct().toList());
      // rank 0's settings once (length, bytes) and one float per rank: no round per rank
      assertEquals(3, world.collectives.get(), "collectives with " + size + " ranks");
      assertTrue(world.bytes.get() < 4096, world.bytes.get() + " bytes");
    }
  }

  @Test
  void anotherSeedIsRefused() throws Exception {
    assertRefused(worldOfTwo(built(b -> b.seed(6), DATASET)), "training.seed", "5", "6");
  }

  @Test
  void anotherModelIsRefused() throws Exception {
    assertRefused(
        worldOfTwo(
            built(
                b -> b.config(DistributedTrainingTest.TINY.toBuilder().heads(4).build()), DATASET)),
        "model.num_heads",
        "2",
        "4");
  }

  @Test
  void anotherWidthIsRefusedBeforeTheTransportSeesTwoShapes() throws Exception {
    assertRefused(
        worldOfTwo(
            built(
                b -> b.config(DistributedTrainingTest.TINY.toBuilder().width(64).build()),
                DATASET)),
        "model.embed_dim",
        "32",
        "64");
  }

  @Test
  void anotherBatchSizeIsRefused() throws Exception {
    assertRefused(
        worldOfTwo(built(b -> b.batchSize(16), DATASET)), "training.batch_size", "12", "16");
  }

  @Test
  void otherDataOrAnotherSizeOfItIsRefused() throws Exception {
    assertRefused(
        worldOfTwo(built(b -> b.data(Path.of("/data/other")), DATASET)),
        "training.data",
        "\"embedded:fashion-mnist-train-10k\"",
        "\"/data/other\"");
    assertRefused(worldOfTwo(built(b -> b, DATASET + 12)), "training.dataset_size", "120", "132");
  }

  @Test
  void otherEpochsOrStepBudgetAreRefused() throws Exception {
    assertRefused(worldOfTwo(built(b -> b.epochs(2), DATASET)), "training.epochs", "1", "2");
    assertRefused(worldOfTwo(built(b -> b.maxSteps(7), DATASET)), "training.max_steps", "20", "7");
  }

  @Test
  void anotherOrderOrLearningRateIsRefused() throws Exception {
    assertRefused(
        worldOfTwo(built(b -> b.order(PermutationSampler.Kind.RASTER), DATASET)),
        "training.order",
        "\"STOCHASTIC\"",
        "\"RASTER\"");
    assertRefused(worldOfTwo(built(b -> b.lr(1e-3), DATASET)), "training.lr", "0.002", "0.001");
  }

  @Test
  void anotherPrecisionIsRefused() throws Exception {
    assertRefused(
        worldOfTwo(built(b -> b.precision(Precision.BF16), DATASET)),
        "training.precision",
        "\"FP32\"",
        "\"BF16\"");
  }

  @Test
  void anotherLibraryVersionIsRefused() throws Exception {
    List<Object> r =
        worldOfTwo(
            s -> {
              s.addProperty("library_version", "0.0.9");
              return s;
            });
    assertRefused(r, "library_version", "\"development\"", "\"0.0.9\"");
  }

  @Test
  void threadsAndDevicesMayDifferButNotTheWorldSize() throws Exception {
    assertEquals(List.of("agreed", "agreed"), worldOfTwo(built(b -> b.threads(3), DATASET)));
    assertRefused(
        worldOfTwo(ignored -> settings(trainer(3, 1).batchSize(12).build(), DATASET)),
        "training.world_size",
        "2",
        "3");
  }

  @Test
  void theLowestDifferingRankIsNamedAndTheOthersCounted() throws Exception {
    List<Object> results =
        new ThreadWorld(4)
            .run(
                c -> {
                  SaimTrainer.Builder b = trainer(4, c.rank());
                  WorldAgreement.check(
                      c, settings((c.rank() >= 2 ? b.seed(9) : b).build(), DATASET));
                  return "agreed";
                });
    for (Object r : results) {
      assertInstanceOf(IllegalArgumentException.class, r);
      String m = ((IllegalArgumentException) r).getMessage();
      assertTrue(
          m.startsWith("rank 2 was launched with other settings than rank 0: training.seed is 5")
              && m.endsWith("(1 more rank differs)"),
          m);
    }
  }

  @Test
  void aSettingOnlyOneRankHasReadsAsNotSet() {
    JsonObject a = new JsonObject();
    a.addProperty("x", 1);
    JsonObject b = a.deepCopy();
    b.addProperty("y", 2);
    assertNull(WorldAgreement.difference(WorldAgreement.flatten(a), WorldAgreement.flatten(a), 1));
    assertTrue(
        WorldAgreement.difference(WorldAgreement.flatten(a), WorldAgreement.flatten(b), 1)
            .contains("y is (not set) on rank 0 and 2 on rank 1"));
  }
}
