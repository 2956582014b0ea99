package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimClassifier.Head;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.io.TensorFileException;
import io.github.saimjava.model.ReferenceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Attentive-probe classifier files edited at random (a key dropped, a shape, type or value changed,
 * a metadata value replaced, a key added, bytes flipped) always read into a head whose parts fit
 * each other, or are refused in one line that starts with the file and names a key; never another
 * exception.
 */
class AttentiveClassifierFuzzTest {
  private static final int D = 8;
  private static final int K = 3;
  private static final int Q = 2;
  private static final SaimConfig CONFIG =
      SaimConfig.builder()
          .imageSize(16)
          .patchSize(8)
          .width(D)
          .depth(2)
          .queryDepth(1)
          .heads(2)
          .build();

  private static final List<String> TENSORS =
      List.of(
          ClassifierCheckpoint.BN_MEAN,
          ClassifierCheckpoint.BN_VAR,
          ClassifierCheckpoint.BN_COUNT,
          ClassifierCheckpoint.QUERIES,
          ClassifierCheckpoint.WQ,
          ClassifierCheckpoint.WKV,
          ClassifierCheckpoint.LINEAR_WEIGHT,
          ClassifierCheckpoint.LINEAR_BIAS);
  private static final List<String> META =
      List.of(
          ClassifierCheckpoint.FORMAT,
          ClassifierCheckpoint.PROBE_HEADS,
          ClassifierCheckpoint.LAST_BLOCKS,
          "config");
  private static final List<String> VALUES =
      List.of(
          "0",
          "-1",
          "1",
          "2",
          "3",
          "4",
          "16",
          "65537",
          "99999999999",
          "two",
          "",
          " 2 ",
          "saim-java-attnprobe-classifier-1",
          "saim-java-attnprobe-classifier-2",
          "saim-java-linprobe-classifier-1",
          "{}",
          "{\"depth\": \"x\"}",
          "[1",
          "line\nbreak");

  private static Path dir;

  @BeforeContainer
  static void makeDir() throws IOException {
    dir = Files.createTempDirectory("saim-attn-fuzz");
  }

  @AfterContainer
  static void cleanUp() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path p : files.toList()) {
        Files.deleteIfExists(p);
      }
    }
    Files.deleteIfExists(dir);
  }

  /** A valid head (random values, variances positive) with one encoder tensor beside it. */
  static Map<String, HostTensor> tensors() {
    SplittableRandom r = new SplittableRandom(5);
    AttentiveProbe.Head h =
        new AttentiveProbe.Head(
            positive(r, D),
            positive(r, D),
            7,
            gaussian(r, Q * D),
            gaussian(r, D * D),
            gaussian(r, D * D),
            gaussian(r, D * D),
            gaussian(r, K * D),
            gaussian(r, K),
            2);
    Map<String, HostTensor> out = new LinkedHashMap<>();
    out.put("cls_token", HostTensor.ofFloats(new long[] {1, 1, D}, new float[D]));
    out.putAll(h.stateDict());
    return out;
  }

  static Map<String, String> metadata() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(ClassifierCheckpoint.FORMAT, ClassifierCheckpoint.ATTENTIVE_FORMAT);
    m.put(ClassifierCheckpoint.PROBE_HEADS, "2");
    m.put(ClassifierCheckpoint.LAST_BLOCKS, "2");
    m.put("config", ReferenceConfig.toJson(CONFIG).toString());
    return m;
  }

  private static float[] gaussian(SplittableRandom r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static float[] positive(SplittableRandom r, int n) {
    float[] v = gaussian(r, n);
    for (int i = 0; i < n; i++) {
      v[i] = Math.abs(v[i]) + 0.1f;
    }
    return v;
  }

  /**
   * One edit: 0 drop a tensor, 1 reshape it, 2 poison one value, 3 make it integer, 4 drop a
   * metadata key, 5 replace a metadata value, 6 add a tensor under {@code head.}.
   */
  record Edit(int kind, int key, int a, int b, int value) {
    void apply(Map<String, HostTensor> t, Map<String, String> m) {
      String name = TENSORS.get(key % TENSORS.size());
      switch (kind) {
        case 0 -> t.remove(name);
        case 1 -> {
          long[] shape = new long[a % 4];
          for (int i = 0; i < shape.length; i++) {
            shape[i] = Math.floorMod(b >> (i * 4), 18);
          }
          t.put(name, HostTensor.ofFloats(shape, new float[(int) HostTensor.numel(shape)]));
        }
        case 2 -> {
          HostTensor old = t.get(name);
          if (old != null && old.numel() > 0) {
            float[] v = old.toFloatArray();
            float[] poison = {Float.NaN, Float.POSITIVE_INFINITY, -1f, 1e30f, 0f};
            v[Math.floorMod(a, v.length)] = poison[Math.floorMod(b, poison.length)];
            t.put(name, HostTensor.ofFloats(old.shape(), v));
          }
        }
        case 3 -> {
          HostTensor old = t.get(name);
          if (old != null) {
            t.put(name, HostTensor.ofLongs(old.shape(), new long[(int) old.numel()]));
          }
        }
        case 4 -> m.remove(META.get(key % META.size()));
        case 5 -> m.put(META.get(key % META.size()), VALUES.get(value % VALUES.size()));
        default ->
            t.put(
                List.of("head.weight", "head.1.weight", "head.extra", "head.bn.weight").get(a % 4),
                HostTensor.ofFloats(new long[] {K, D}, new float[K * D]));
      }
    }
  }

  @Provide
  Arbitrary<List<Edit>> edits() {
    Arbitrary<Integer> n = Arbitraries.integers().between(0, Integer.MAX_VALUE);
    return Combinators.combine(Arbitraries.integers().between(0, 6), n, n, n, n)
        .as(Edit::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(3);
  }

  /** Reads {@code f}: a head that fits, or one line naming the file and a key. */
  private static void readsCleanly(Path f, List<String> keys) {
    String outcome =
        assertTimeoutPreemptively(
            Duration.ofSeconds(20),
            () -> {
              try {
                ClassifierCheckpoint c = ClassifierCheckpoint.read(f);
                if (c.head() != Head.ATTENTIVE) {
                  return "read as " + c.head();
                }
                ClassifierCheckpoint.Attentive a = c.attentive();
                assertTrue(a != null && a.width() % a.probeHeads() == 0, String.valueOf(a));
                assertTrue(c.numClasses() >= 2);
                if (c.config() != null) {
                  assertTrue(a.lastBlocks() <= c.config().depth(), String.valueOf(a));
                }
                assertEquals(2L * a.width() * a.width(), c.weights().get("head.kv.weight").numel());
                return "read";
              } catch (IllegalArgumentException e) {
                String msg = e.getMessage();
                assertTrue(msg.startsWith(f.toString()), msg);
                assertFalse(msg.contains("\n") || msg.contains("\r"), msg);
                // the safetensors layer's own refusals (a header that is no JSON) may name none
                assertTrue(
                    e instanceof TensorFileException
                        || keys.stream().anyMatch(msg::contains)
                        || msg.contains("__metadata__ '")
                        || msg.contains(": head."),
                    "names no key: " + msg);
                return outcome(msg.substring(f.toString().length()));
              }
            });
    Statistics.label("outcome").collect(outcome);
  }

  /** The kind of refusal, with numbers and quoted values stripped, for the statistics. */
  private static String outcome(String message) {
    String m = message.replaceAll("'[^']*'", "''").replaceAll("[-0-9.E]+", "N");
    return m.length() > 70 ? m.substring(0, 70) : m;
  }

  private static List<String> keys() {
    List<String> k = new ArrayList<>(TENSORS);
    k.addAll(META);
    k.addAll(List.of("head.weight", "head.1.weight", "head.extra", "head.bn.weight"));
    return k;
  }

  @Example
  void theUneditedFileReads() throws Exception {
    Path f = dir.resolve("valid.safetensors");
    SafeTensors.write(f, tensors(), metadata());
    ClassifierCheckpoint c = ClassifierCheckpoint.read(f);
    assertEquals(Head.ATTENTIVE, c.head());
    assertEquals(K, c.numClasses());
    assertEquals(new ClassifierCheckpoint.Attentive(2, 2, Q, D), c.attentive());
  }

  @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.FIRST)
  void editedKeysShapesAndValues(@ForAll("edits") List<Edit> edits) throws Exception {
    Map<String, HostTensor> t = tensors();
    Map<String, String> m = metadata();
    edits.forEach(e -> e.apply(t, m));
    Path f = dir.resolve("edited.safetensors");
    SafeTensors.write(f, t, m);
    readsCleanly(f, keys());
  }

  @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
  void flippedBytes(@ForAll("flips") List<int[]> flips) throws Exception {
    Path valid = dir.resolve("valid-bytes.safetensors");
    SafeTensors.write(valid, tensors(), metadata());
    byte[] b = Files.readAllBytes(valid);
    for (int[] flip : flips) {
      b[Math.floorMod(flip[0], b.length)] ^= (byte) (1 << (flip[1] & 7));
    }
    Path f = dir.resolve("flipped.safetensors");
    Files.write(f, b);
    readsCleanly(f, keys());
  }

  @Provide
  Arbitrary<List<int[]>> flips() {
    // mostly in the JSON header (the first 1.5 KB), where names, shapes and metadata are
    Arbitrary<Integer> at =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(8, 1500)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, Integer.MAX_VALUE)));
    return Combinators.combine(at, Arbitraries.integers().between(0, 7))
        .as((a, bit) -> new int[] {a, bit})
        .list()
        .ofMinSize(1)
        .ofMaxSize(3);
  }

  @Example
  void anEditedFileListsItsKeyInTheRefusal() throws Exception {
    Map<String, HostTensor> t = tensors();
    t.put(
        ClassifierCheckpoint.WKV,
        HostTensor.ofFloats(new long[] {D, D}, new float[D * D])); // k without v
    Path f = dir.resolve("kv.safetensors");
    SafeTensors.write(f, t, metadata());
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class, () -> ClassifierCheckpoint.read(f));
    assertEquals(
        f
            + ": head.kv.weight has shape "
            + Arrays.toString(new long[] {D, D})
            + ", not [16, 8] (from head.linear.weight)",
        e.getMessage());
  }
}
