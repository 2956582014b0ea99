package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.saimjava.api.SaimAttentiveProbe;
import io.github.saimjava.io.HostTensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class AttentiveProbeTest {
  private static final int CLASSES = 4;

  /**
   * Images of L = 8 tokens of width 16, all noise but one token at a random position, which holds
   * its class's centre: a pooling that finds that token separates the classes.
   */
  static float[][][] tokens(int n, int[] labels, long seed) {
    SplittableRandom centres = new SplittableRandom(7);
    float[][] c = new float[CLASSES][16];
    for (float[] row : c) {
      for (int j = 0; j < 16; j++) {
        row[j] = (float) centres.nextGaussian() * 3;
      }
    }
    SplittableRandom r = new SplittableRandom(seed);
    float[][][] x = new float[n][8][16];
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(CLASSES);
      int at = r.nextInt(8);
      for (int t = 0; t < 8; t++) {
        for (int j = 0; j < 16; j++) {
          x[i][t][j] = (float) r.nextGaussian() + (t == at ? c[labels[i]][j] : 0);
        }
      }
    }
    return x;
  }

  private static SaimAttentiveProbe.Spec settings(long seed) {
    return new SaimAttentiveProbe.Spec(12, 64, 0.02, 0.05, 1, 0, 2, 4, seed, null);
  }

  private static SaimAttentiveProbe.Spec shortRun(long seed) {
    return new SaimAttentiveProbe.Spec(2, 64, 0.02, 0.05, 1, 0, 2, 4, seed, null);
  }

  @Test
  void logitsAreOnePerImageAndClassAndTheStateHasAimsShapes() {
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      AttentiveProbe.Params p =
          new AttentiveProbe.Params(
              m.randomNormal(new Shape(3, 16)),
              m.randomNormal(new Shape(16, 16)),
              m.randomNormal(new Shape(16, 16)),
              m.randomNormal(new Shape(16, 16)),
              m.randomNormal(new Shape(5, 16)),
              m.zeros(new Shape(5)));
      NDArray z = AttentiveProbe.logits(m.randomNormal(new Shape(7, 9, 16)), p, 4);
      assertEquals(new Shape(7, 5), z.getShape());
    }
    int[] ty = new int[64];
    int[] vy = new int[16];
    AttentiveProbe.Result r =
        AttentiveProbe.run(
            new SaimAttentiveProbe.Spec(1, 32, 0.01, 0, 0, 0, 3, 2, 0, null),
            tokens(64, ty, 1),
            ty,
            tokens(16, vy, 2),
            vy,
            CLASSES);
    Map<String, HostTensor> state = r.head().stateDict();
    assertArrayEquals(new long[] {1, 3, 16}, state.get("head.cls_token").shape());
    assertArrayEquals(new long[] {16, 16}, state.get("head.q.weight").shape());
    assertArrayEquals(new long[] {32, 16}, state.get("head.kv.weight").shape());
    assertArrayEquals(new long[] {CLASSES, 16}, state.get("head.linear.weight").shape());
    assertArrayEquals(new long[] {16}, state.get("head.bn.running_var").shape());
    assertEquals(2, r.head().batchesTracked());
  }

  @Test
  void findsTheOneTokenThatCarriesTheClass() {
    int[] ty = new int[1024];
    int[] vy = new int[256];
    AttentiveProbe.Result r =
        AttentiveProbe.run(settings(0), tokens(1024, ty, 3), ty, tokens(256, vy, 4), vy, CLASSES);
    // four classes: chance is 25%
    assertTrue(r.top1() > 70, "top-1 " + r.top1());
    assertTrue(r.trainLoss() < 1.0, "train loss " + r.trainLoss());
  }

  @Test
  void theSameSeedGivesTheSameProbeAndAnotherSeedAnother() {
    int[] ty = new int[256];
    int[] vy = new int[64];
    float[][][] tx = tokens(256, ty, 5);
    float[][][] vx = tokens(64, vy, 6);
    AttentiveProbe.Result a = AttentiveProbe.run(shortRun(9), tx, ty, vx, vy, CLASSES);
    AttentiveProbe.Result b = AttentiveProbe.run(shortRun(9), tx, ty, vx, vy, CLASSES);
    AttentiveProbe.Result c = AttentiveProbe.run(shortRun(10), tx, ty, vx, vy, CLASSES);
    assertArrayEquals(a.head().weight(), b.head().weight());
    assertArrayEquals(a.head().queries(), b.head().queries());
    assertEquals(a.trainLoss(), b.trainLoss());
    assertEquals(a.top1(), b.top1());
    assertTrue(a.head().weight()[0] != c.head().weight()[0]);
  }

  @Test
  void settingsAndShapesAtFaultAreNamed() {
    assertEquals(
        "queries (0) must be positive",
        assertThrows(
                IllegalArgumentException.class,
                () -> new SaimAttentiveProbe.Spec(1, 8, 0.1, 0, 0, 0, 0, 1, 0, null))
            .getMessage());
    int[] ty = new int[16];
    int[] vy = new int[4];
    float[][][] tx = tokens(16, ty, 1);
    float[][][] vx = tokens(4, vy, 2);
    assertEquals(
        "heads (3) must divide the token width (16)",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    AttentiveProbe.run(
                        new SaimAttentiveProbe.Spec(1, 8, 0.1, 0, 0, 0, 1, 3, 0, null),
                        tx,
                        ty,
                        vx,
                        vy,
                        CLASSES))
            .getMessage());
    vx[2] = new float[5][16];
    assertEquals(
        "testX[2] has 5 tokens, trainX[0] 8",
        assertThrows(
                IllegalArgumentException.class,
                () -> AttentiveProbe.run(settings(0), tx, ty, vx, vy, CLASSES))
            .getMessage());
  }

  @Test
  void aGpuTheEngineDoesNotSeeIsRefusedInOneLineNamingIt() {
    int[] ty = new int[16];
    int[] vy = new int[4];
    float[][][] tx = tokens(16, ty, 1);
    float[][][] vx = tokens(4, vy, 2);
    SaimAttentiveProbe.Spec s =
        SaimAttentiveProbe.builder().epochs(1).heads(4).device(Device.gpu(64)).build().spec();
    String m =
        assertThrows(
                IllegalArgumentException.class,
                () -> AttentiveProbe.run(s, tx, ty, vx, vy, CLASSES))
            .getMessage();
    assertTrue(m.startsWith("device gpu(64) is not there: the engine sees "), m);
    assertEquals(1, m.lines().count(), m);
  }
}
