package io.github.saimjava.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class StateDictNamesTest {
  private static HostTensor iota(long rows, long cols, float start) {
    float[] v = new float[(int) (rows * Math.max(cols, 1))];
    for (int i = 0; i < v.length; i++) {
      v[i] = start + i;
    }
    return HostTensor.ofFloats(cols == 0 ? new long[] {rows} : new long[] {rows, cols}, v);
  }

  @Test
  void splitTakesRowsInQkvOrderAndKeepsThePosition() {
    Map<String, HostTensor> fused = new LinkedHashMap<>();
    fused.put("blocks.0.norm1.weight", iota(4, 0, 0));
    fused.put("blocks.0.attn.qkv.weight", iota(12, 4, 0)); // 3D x D with D = 4
    fused.put("blocks.0.attn.qkv.bias", iota(12, 0, 100));
    fused.put("blocks.0.attn.proj.weight", iota(4, 4, 0));
    Map<String, HostTensor> split = StateDictNames.splitQkv(fused);
    assertEquals(
        List.of(
            "blocks.0.norm1.weight",
            "blocks.0.attn.q.weight",
            "blocks.0.attn.k.weight",
            "blocks.0.attn.v.weight",
            "blocks.0.attn.q.bias",
            "blocks.0.attn.k.bias",
            "blocks.0.attn.v.bias",
            "blocks.0.attn.proj.weight"),
        List.copyOf(split.keySet()));
    assertArrayEquals(new long[] {4, 4}, split.get("blocks.0.attn.k.weight").shape());
    assertEquals(16f, split.get("blocks.0.attn.k.weight").toFloatArray()[0]); // row 4
    assertEquals(32f, split.get("blocks.0.attn.v.weight").toFloatArray()[0]); // row 8
    assertArrayEquals(
        new float[] {104, 105, 106, 107}, split.get("blocks.0.attn.k.bias").toFloatArray());
    assertEquals(fused, StateDictNames.fuseQkv(split));
  }

  @Test
  void fuseLeavesIncompleteSetsAlone() {
    Map<String, HostTensor> m = new LinkedHashMap<>();
    m.put("cross.attn.q.weight", iota(2, 2, 0));
    m.put("cross.attn.kv.weight", iota(4, 2, 0));
    assertEquals(m, StateDictNames.fuseQkv(m));
    assertEquals(m, StateDictNames.splitQkv(m));
  }

  @Test
  void badShapesAndNameClashesAreRefusedWithTheName() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> StateDictNames.splitQkv(Map.of("a.attn.qkv.weight", iota(10, 4, 0))));
    assertTrue(e.getMessage().contains("'a.attn.qkv.weight' has shape [10, 4]"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> StateDictNames.splitQkv(Map.of("a.attn.qkv.bias", iota(3, 3, 0))));
    assertTrue(e.getMessage().contains("needs rank 1"), e.getMessage());
    Map<String, HostTensor> clash = new LinkedHashMap<>();
    clash.put("attn.qkv.bias", iota(3, 0, 0));
    clash.put("attn.k.bias", iota(1, 0, 0));
    e = assertThrows(IllegalArgumentException.class, () -> StateDictNames.splitQkv(clash));
    assertTrue(e.getMessage().contains("'attn.k.bias' already exists"), e.getMessage());
    Map<String, HostTensor> mismatch = new LinkedHashMap<>();
    mismatch.put("x.attn.q.weight", iota(2, 2, 0));
    mismatch.put("x.attn.k.weight", iota(2, 3, 0));
    mismatch.put("x.attn.v.weight", iota(2, 2, 0));
    e = assertThrows(IllegalArgumentException.class, () -> StateDictNames.fuseQkv(mismatch));
    assertTrue(e.getMessage().contains("'x.attn.k.weight'"), e.getMessage());
  }

  @Test
  void worksForHalfPrecisionBytes() {
    ByteBuffer b = ByteBuffer.allocate(6 * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 6; i++) {
      b.putShort((short) (0x3C00 + i));
    }
    b.flip();
    HostTensor qkv = HostTensor.of(DType.F16, new long[] {6}, b);
    Map<String, HostTensor> split = StateDictNames.splitQkv(Map.of("attn.qkv.bias", qkv));
    assertEquals(DType.F16, split.get("attn.v.bias").dtype());
    assertEquals((short) 0x3C04, split.get("attn.v.bias").data().getShort(0));
    assertEquals(Map.of("attn.qkv.bias", qkv), StateDictNames.fuseQkv(split));
  }

  /**
   * A state dict of a few blocks, each with a fused qkv weight, maybe a bias, and other tensors.
   */
  @Provide
  Arbitrary<Map<String, HostTensor>> fusedStateDicts() {
    Arbitrary<Integer> dims = Arbitraries.integers().between(1, 5);
    Arbitrary<Integer> blocks = Arbitraries.integers().between(0, 4);
    Arbitrary<Boolean> bias = Arbitraries.of(true, false);
    Arbitrary<Long> seed = Arbitraries.longs();
    return Combinators.combine(dims, blocks, bias, seed)
        .as(
            (d, n, withBias, s) -> {
              java.util.Random r = new java.util.Random(s);
              Map<String, HostTensor> m = new LinkedHashMap<>();
              m.put("cls_token", random(r, 1, d));
              for (int i = 0; i < n; i++) {
                String p = (i % 2 == 0 ? "blocks." : "query_blocks.") + i + ".";
                m.put(p + "norm1.weight", random(r, d, 0));
                m.put(p + "attn.qkv.weight", random(r, 3L * d, d));
                if (withBias) {
                  m.put(p + "attn.qkv.bias", random(r, 3L * d, 0));
                }
                m.put(p + "attn.proj.weight", random(r, d, d));
              }
              return m;
            });
  }

  private static HostTensor random(java.util.Random r, long rows, long cols) {
    float[] v = new float[(int) (rows * Math.max(cols, 1))];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return HostTensor.ofFloats(cols == 0 ? new long[] {rows} : new long[] {rows, cols}, v);
  }

  @Property(tries = 200)
  void fuseInvertsSplit(@ForAll("fusedStateDicts") Map<String, HostTensor> fused) {
    Map<String, HostTensor> split = StateDictNames.splitQkv(fused);
    assertTrue(split.keySet().stream().noneMatch(k -> k.contains(".qkv.")));
    Map<String, HostTensor> back = StateDictNames.fuseQkv(split);
    assertEquals(List.copyOf(fused.keySet()), List.copyOf(back.keySet()));
    assertEquals(fused, back);
    assertEquals(split, StateDictNames.splitQkv(back));
  }
}
