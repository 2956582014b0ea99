package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the ranks of a world share besides gradients: counts summed over all of them, and the
 * checkpoint copy a rank receives, which leaves no debris.
 */
class RanksTest {
  @Test
  void countsAreSummedOverTheRanksExactly() throws Exception {
    long big = (1L << 40) + 12345;
    List<Object> sums =
        new ThreadWorld(3).run(c -> new Ranks(c).sum(c.rank() == 1 ? 2 : c.rank() == 2 ? big : 0));
    assertEquals(List.of(big + 2, big + 2, big + 2), sums);
  }

  @Test
  void aReceivedCheckpointIsNamedForItsProcessAndDeletedOnClose(@TempDir Path dir)
      throws Exception {
    byte[] content = new byte[1000];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 7);
    }
    Path ckpt = Files.write(dir.resolve("checkpoint.safetensors"), content);
    List<Object> got =
        new ThreadWorld(2)
            .run(
                c -> {
                  try (Ranks r = new Ranks(c)) {
                    Path p = r.shareCheckpoint(c.rank() == 0 ? ckpt : null);
                    String name = p.getFileName().toString();
                    byte[] bytes = Files.readAllBytes(p);
                    return List.of(name, bytes, p);
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
    List<?> one = (List<?>) got.get(1);
    String name = (String) one.get(0);
    assertTrue(
        name.matches(
            "saim-rank1-checkpoint-pid" + ProcessHandle.current().pid() + "-[0-9]+\\.safetensors"),
        name);
    assertArrayEquals(content, (byte[]) one.get(1));
    assertFalse(Files.exists((Path) one.get(2)), "the received copy outlived close()");
    assertTrue(Files.exists(ckpt), "rank 0's own checkpoint was deleted");
  }

  @Test
  void copiesOfRanksThatAreGoneAreSweptAndLiveOnesKept(@TempDir Path dir) throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path stale =
        Files.createFile(
            dir.resolve("saim-rank1-checkpoint-pid" + gone.pid() + "-123.safetensors"));
    Path live =
        Files.createFile(
            dir.resolve(
                "saim-rank2-checkpoint-pid" + ProcessHandle.current().pid() + "-456.safetensors"));
    Path other = Files.createFile(dir.resolve("saim-rank-notes.txt"));
    assertEquals(1, Ranks.sweepReceived(dir));
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(live) && Files.exists(other));
  }

  /**
   * Three ranks' gradients of a weight and a bias become their mean on every rank, written into the
   * gradients' own memory; the loss is averaged; one barrier and one all-reduce go over the world;
   * the step's profile is there and not negative.
   */
  @Test
  void gradientsBecomeTheirMeanOverTheRanks() throws Exception {
    int size = 3;
    float[][] coef = {{1, -2, 3, 0.5f, 7, -1}, {4, 4, -8, 0.25f, 0, 2}, {-3, 1, 1, 1, 1e-3f, 5}};
    float[][] bias = {{0.5f, -1, 2}, {1, 1, 1}, {-2, 0.25f, 3}};
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      List<Map<String, NDArray>> params = new ArrayList<>();
      try (GradientCollector gc = Engine.getEngine("PyTorch").newGradientCollector()) {
        NDArray total = null;
        for (int r = 0; r < size; r++) {
          NDArray w = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
          NDArray b = m.create(bias[r], new Shape(3));
          w.setRequiresGradient(true);
          b.setRequiresGradient(true);
          // d/dw = coef, d/db = 2 b
          NDArray loss = w.mul(m.create(coef[r], new Shape(2, 3))).sum().add(b.mul(b).sum());
          total = total == null ? loss : total.add(loss);
          Map<String, NDArray> p = new LinkedHashMap<>();
          p.put("w", w);
          p.put("b", b);
          params.add(p);
        }
        gc.backward(total);
      }
      ThreadWorld world = new ThreadWorld(size);
      List<Object> got =
          world.run(
              c -> {
                Ranks ranks = new Ranks(c);
                double loss = ranks.averageGradients(params.get(c.rank()), 1.5 * (c.rank() + 1));
                return List.of(loss, ranks.profile().take());
              });
      assertEquals(2, world.collectives.get(), "one barrier and one all-reduce");
      for (int r = 0; r < size; r++) {
        List<?> out = (List<?>) got.get(r);
        assertEquals(3.0, (Double) out.get(0), 1e-6, "the mean loss, rank " + r);
        String fields = (String) out.get(1);
        assertTrue(fields.contains("\"allreduce_copy_out_s\":"), fields);
        assertTrue(!fields.contains(":-"), "a negative part: " + fields);
        float[] w = params.get(r).get("w").getGradient().toFloatArray();
        float[] b = params.get(r).get("b").getGradient().toFloatArray();
        for (int i = 0; i < 6; i++) {
          float want = (coef[0][i] + coef[1][i] + coef[2][i]) * (1f / size);
          assertEquals(want, w[i], Math.abs(want) * 1e-6 + 1e-7, "w[" + i + "], rank " + r);
        }
        for (int i = 0; i < 3; i++) {
          float want = 2 * (bias[0][i] + bias[1][i] + bias[2][i]) * (1f / size);
          assertEquals(want, b[i], Math.abs(want) * 1e-6 + 1e-7, "b[" + i + "], rank " + r);
        }
      }
    }
  }

  /**
   * The exchange writes into a gradient through its buffer only when the buffer is the array's own
   * memory: a contiguous array's is, a transposed view's (a contiguous copy) is not.
   */
  @Test
  void onlyAnArraysOwnMemoryIsWrittenThrough() {
    try (NDManager m = NDManager.newBaseManager("PyTorch")) {
      NDArray a = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
      assertTrue(Ranks.writesThrough(a, a.toByteBuffer(true)));
      assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, a.toFloatArray(), "the probe left a trace");
      NDArray t = a.transpose();
      assertFalse(Ranks.writesThrough(t, t.toByteBuffer(true)));
      assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, t.toFloatArray());
    }
  }
}
