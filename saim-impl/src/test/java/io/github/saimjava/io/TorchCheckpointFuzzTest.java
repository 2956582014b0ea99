package io.github.saimjava.io;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Random and mutated inputs always end in a valid result or a {@link TensorFileException}, never in
 * another exception, a hang or running out of memory.
 */
class TorchCheckpointFuzzTest {
  /** Opcodes without arguments. */
  private static final byte[] SIMPLE_OPCODES =
      "(((((.0122NNtttttsuuaeRRRRRbQQ}]l)\u0085\u0086\u0087\u0088\u0089\u0093\u0094\u0081"
          .chars()
          .collect(
              java.io.ByteArrayOutputStream::new,
              (o, c) -> o.write(c),
              (a, b) -> a.writeBytes(b.toByteArray()))
          .toByteArray();

  private static final Path PWNED = Path.of("/tmp/saim-pwned");

  private static Path dir;
  private static boolean pwnedExistedBefore;
  private static byte[] zipFixture;
  private static byte[] legacyFixture;
  private static byte[] hostileFixture;

  @BeforeContainer
  static void load() throws IOException {
    dir = Files.createTempDirectory("saim-fuzz");
    pwnedExistedBefore = Files.exists(PWNED);
    zipFixture = resource("reference-checkpoint-tiny.pth");
    legacyFixture = resource("reference-checkpoint-tiny-legacy.pth");
    hostileFixture = resource("hostile-checkpoint.pth");
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

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = TorchCheckpointFuzzTest.class.getResourceAsStream("/fixtures/" + name)) {
      assertNotNull(in, name);
      return in.readAllBytes();
    }
  }

  /** One edit of a file: flip a bit, truncate, insert or overwrite a byte. */
  record Mutation(int kind, int region, int position, byte value) {
    byte[] apply(byte[] in, int hotBytes) {
      int n = in.length;
      if (n == 0) {
        return new byte[] {value};
      }
      // a third of the edits land in the first hotBytes (the pickles), a third in the last 48 KiB
      // (the zip directory), a third anywhere
      int at =
          switch (region) {
            case 0 -> position % Math.min(n, hotBytes);
            case 1 -> n - 1 - position % Math.min(n, 48 * 1024);
            default -> position % n;
          };
      return switch (kind) {
        case 0 -> {
          byte[] out = in.clone();
          out[at] ^= (byte) (1 << (value & 7));
          yield out;
        }
        case 1 -> Arrays.copyOf(in, at);
        case 2 -> {
          byte[] out = new byte[n + 1];
          System.arraycopy(in, 0, out, 0, at);
          out[at] = value;
          System.arraycopy(in, at, out, at + 1, n - at);
          yield out;
        }
        default -> {
          byte[] out = in.clone();
          out[at] = value;
          yield out;
        }
      };
    }
  }

  @Provide
  Arbitrary<List<Mutation>> mutations() {
    Arbitrary<Mutation> one =
        Combinators.combine(
                // mostly bit flips and overwrites; some insertions and truncations
                Arbitraries.frequency(
                    Tuple.of(8, 0), Tuple.of(4, 3), Tuple.of(2, 2), Tuple.of(2, 1)),
                // mostly in the pickles
                Arbitraries.frequency(Tuple.of(3, 0), Tuple.of(1, 1), Tuple.of(2, 2)),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.bytes())
            .as(Mutation::new);
    return one.list().ofMinSize(1).ofMaxSize(3);
  }

  @Provide
  Arbitrary<byte[]> pickleish() {
    Arbitrary<byte[]> simple = Arbitraries.of(boxed(SIMPLE_OPCODES)).map(b -> new byte[] {b});
    Arbitrary<byte[]> ints =
        Arbitraries.integers().between(0, 300).map(i -> new PickleBuilder().integer(i).bytes());
    Arbitrary<byte[]> strings =
        Arbitraries.of("storage", "cpu", "0", "1", "model", "../x", "w")
            .map(str -> new PickleBuilder().str(str).bytes());
    Arbitrary<byte[]> globals =
        Arbitraries.of(
                "collections OrderedDict",
                "torch._utils _rebuild_tensor_v2",
                "torch FloatStorage",
                "torch HalfStorage",
                "argparse Namespace",
                "torch._utils _rebuild_parameter",
                "builtins list",
                "_codecs encode",
                "torch Size",
                "builtins eval")
            .map(g -> new PickleBuilder().global(g.split(" ")[0], g.split(" ")[1]).bytes());
    Arbitrary<byte[]> memo =
        Arbitraries.integers()
            .between(0, 7)
            .flatMap(
                i ->
                    Arbitraries.of(
                        new byte[] {'q', (byte) (int) i}, new byte[] {'h', (byte) (int) i}));
    Arbitrary<byte[]> anyByte = Arbitraries.bytes().map(b -> new byte[] {b});
    return Arbitraries.frequencyOf(
            Tuple.of(6, simple), Tuple.of(3, ints),
            Tuple.of(2, strings), Tuple.of(2, globals),
            Tuple.of(2, memo), Tuple.of(1, anyByte))
        .list()
        .ofMaxSize(120)
        .map(
            tokens -> {
              java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
              out.write(0x80);
              out.write(2);
              tokens.forEach(out::writeBytes);
              return out.toByteArray();
            });
  }

  private static Byte[] boxed(byte[] b) {
    Byte[] out = new Byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = b[i];
    }
    return out;
  }

  /** Reads {@code bytes} as a checkpoint; a clean refusal or a usable tree are both fine. */
  private static void readsCleanly(String name, byte[] bytes) throws Exception {
    Path f = dir.resolve(name);
    Files.write(f, bytes);
    String outcome =
        assertTimeoutPreemptively(
            Duration.ofSeconds(20),
            () -> {
              try {
                TorchCheckpoint c = TorchCheckpoint.read(f);
                Object root = c.root();
                assertNotNull(String.valueOf(root)); // the tree is finite and acyclic
                try {
                  c.stateDict().values().forEach(HostTensor::toF32);
                  return "read, with a state dict";
                } catch (TensorFileException e) {
                  assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
                  return "read, without a state dict";
                }
              } catch (TensorFileException e) {
                assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
                return outcome(e.getMessage().substring(f.toString().length()));
              }
            });
    Statistics.label("outcome").collect(outcome);
  }

  /** The kind of refusal, with numbers and names stripped, for the statistics. */
  private static String outcome(String message) {
    String m = message.replaceAll("'[^']*'", "''").replaceAll("[0-9]+", "N");
    return m.length() > 70 ? m.substring(0, 70) : m;
  }

  @Property(tries = 400, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.FIRST)
  void randomBytes(@ForAll byte[] bytes, @ForAll("prefixes") byte[] prefix) throws Exception {
    byte[] b = Arrays.copyOf(prefix, prefix.length + bytes.length);
    System.arraycopy(bytes, 0, b, prefix.length, bytes.length);
    readsCleanly("random.pth", b);
  }

  @Provide
  Arbitrary<byte[]> prefixes() {
    return Arbitraries.of(
        new byte[0],
        new byte[] {'P', 'K', 3, 4},
        new byte[] {(byte) 0x80, 2},
        Arrays.copyOf(legacyFixture, 137)); // the three legacy header pickles
  }

  @Property(tries = 400, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.FIRST)
  void randomPicklesInAZip(@ForAll("pickleish") byte[] pickle) throws Exception {
    Path f = dir.resolve("pickle.pth");
    PickleBuilder.zip(f, pickle, Map.of("0", new byte[64], "1", new byte[16]));
    readsCleanly("pickle.pth", Files.readAllBytes(f));
  }

  @Property(tries = 150, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
  void mutatedZipFixture(@ForAll("mutations") List<Mutation> edits) throws Exception {
    byte[] b = zipFixture;
    for (Mutation m : edits) {
      b = m.apply(b, 41_000);
    }
    readsCleanly("zip.pth", b);
  }

  @Property(tries = 150, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
  void mutatedLegacyFixture(@ForAll("mutations") List<Mutation> edits) throws Exception {
    byte[] b = legacyFixture;
    for (Mutation m : edits) {
      b = m.apply(b, 18_000);
    }
    readsCleanly("legacy.pth", b);
  }

  @Property(tries = 200, shrinking = ShrinkingMode.BOUNDED, edgeCases = EdgeCasesMode.NONE)
  void mutatedHostileFixtureNeverRuns(@ForAll("mutations") List<Mutation> edits) throws Exception {
    byte[] b = hostileFixture;
    for (Mutation m : edits) {
      b = m.apply(b, 200);
    }
    readsCleanly("hostile.pth", b);
    assertTrue(pwnedExistedBefore || Files.notExists(PWNED), "the hostile pickle's command ran");
  }
}
