package io.github.saimjava.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.distributed.Collective;
import io.github.saimjava.provider.DjlSaimProvider;
import io.github.saimjava.zoo.SaimZoo;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries of STYLE.md, checked on the compiled classes of every library module (every
 * class a class refers to, read from its constant pool: types in signatures, fields, calls, casts
 * and annotations; not class names in string literals). saim-api, saim-distributed, saim-impl and
 * saim-zoo are also sealed by their module-info, but only on the module path; this test holds on
 * the class path, where the command-line program, the benchmarks and this module run, and covers
 * saim-spark, which has no descriptor.
 *
 * <p>The rules: saim-api depends on no module of ours and not on DJL's PyTorch engine;
 * saim-distributed on none of ours; saim-impl on saim-api and saim-distributed only (never the CLI,
 * the zoo, Spark or the benchmarks); saim-zoo on saim-api only; and outside saim-impl, examples and
 * benchmarks no class uses saim-impl's packages, except the uses listed in {@link
 * #SPARK_USES_OF_IMPL}, which may shrink but not grow. The command line's uses of saim-impl are
 * listed, command by command, in the examples module's CliBoundariesTest (it is built after this
 * one).
 */
class ModuleBoundariesTest {
  /** Our packages (below io/github/saimjava/) and the module that owns each. */
  private static final Map<String, String> MODULE_OF_PACKAGE =
      Map.ofEntries(
          Map.entry("api", "saim-api"),
          Map.entry("api/spi", "saim-api"),
          Map.entry("distributed", "saim-distributed"),
          Map.entry("data", "saim-impl"),
          Map.entry("downstream", "saim-impl"),
          Map.entry("io", "saim-impl"),
          Map.entry("model", "saim-impl"),
          // the ONNX export and the classes protoc generates for it
          Map.entry("onnx", "saim-impl"),
          Map.entry("onnx/proto", "saim-impl"),
          Map.entry("provider", "saim-impl"),
          Map.entry("train", "saim-impl"),
          Map.entry("zoo", "saim-zoo"),
          Map.entry("spark", "saim-spark"),
          Map.entry("cli", "examples"),
          Map.entry("examples", "examples"),
          Map.entry("benchmarks", "benchmarks"),
          Map.entry("benchmarks/micro", "benchmarks"),
          Map.entry("benchmarks/reproduce", "benchmarks"));

  /** The modules of ours that each library module may use. */
  private static final Map<String, Set<String>> ALLOWED =
      Map.of(
          "saim-api", Set.of(),
          "saim-distributed", Set.of(),
          "saim-impl", Set.of("saim-api", "saim-distributed"),
          "saim-zoo", Set.of("saim-api"),
          // saim-impl only for the uses below
          "saim-spark", Set.of("saim-api", "saim-zoo", "saim-distributed"));

  /**
   * saim-spark's uses of saim-impl internals, which predate the module descriptors: the executors
   * decode images with saim-impl's decoder (the one ImageFolderDataset trains on), and an encoder
   * spec carries its SaimConfig in the JSON form of checkpoints. They stay on the class path (Spark
   * runs nothing on the module path); moving them behind the API removes them from this list.
   */
  private static final Set<String> SPARK_USES_OF_IMPL =
      Set.of(
          "io/github/saimjava/spark/EmbedPartition$Batches -> io/github/saimjava/data/DecodedImage",
          "io/github/saimjava/spark/EmbedPartition$Batches ->"
              + " io/github/saimjava/data/ImageFolderDataset",
          "io/github/saimjava/spark/EncoderSpec -> io/github/saimjava/model/ReferenceConfig");

  private static final String OURS = "io/github/saimjava/";
  private static final String PYTORCH_ENGINE = "ai/djl/pytorch/";
  // a class in a descriptor or generic signature: Lio/github/saimjava/api/SaimConfig; or ...<
  private static final Pattern CLASS_IN_SIGNATURE =
      Pattern.compile("L([A-Za-z_$][\\w$]*(?:/[\\w$]+)+)[;<]");

  @Test
  void eachModuleHoldsOnlyItsOwnPackages() throws IOException {
    for (Map.Entry<String, Class<?>> m : anchors().entrySet()) {
      Set<String> packages = new TreeSet<>();
      for (String cls : classes(m.getValue()).keySet()) {
        packages.add(cls.substring(0, cls.lastIndexOf('/')));
      }
      Set<String> owned = new TreeSet<>();
      MODULE_OF_PACKAGE.forEach(
          (pkg, module) -> {
            if (module.equals(m.getKey())) {
              owned.add(OURS + pkg);
            }
          });
      // a new package must be given its module above before the rules can see it
      assertEquals(owned, packages, m.getKey() + "'s packages");
    }
  }

  @Test
  void theApiUsesNoModuleOfOursAndNotThePyTorchEngine() throws IOException {
    // the reader sees references: SaimEncoder's signatures name DJL's engine-agnostic types
    assertTrue(
        classes(SaimConfig.class)
            .get("io/github/saimjava/api/SaimEncoder")
            .contains("ai/djl/modality/cv/Image"));
    assertEquals(List.of(), violations("saim-api", ref -> ref.startsWith(PYTORCH_ENGINE)));
  }

  @Test
  void theImplementationUsesOnlyTheApiAndTheCollectives() throws IOException {
    assertEquals(List.of(), violations("saim-impl", ref -> false));
  }

  @Test
  void theZooUsesOnlyTheApi() throws IOException {
    assertEquals(List.of(), violations("saim-zoo", ref -> false));
  }

  @Test
  void theCollectivesUseNoModuleOfOurs() throws IOException {
    assertEquals(List.of(), violations("saim-distributed", ref -> false));
  }

  @Test
  void sparkUsesTheImplementationOnlyWhereListed() throws IOException {
    List<String> uses = new ArrayList<>();
    for (Map.Entry<String, Set<String>> c : classes(anchors().get("saim-spark")).entrySet()) {
      for (String ref : c.getValue()) {
        if ("saim-impl".equals(moduleOf(ref))) {
          uses.add(c.getKey() + " -> " + ref);
        }
      }
    }
    assertEquals(
        new TreeSet<>(SPARK_USES_OF_IMPL),
        new TreeSet<>(uses),
        "saim-spark's uses of saim-impl internals (new ones belong behind saim-api)");
    assertEquals(List.of(), violations("saim-spark", ref -> false));
  }

  /** One class of each library module, whose code source is the module's classes. */
  private static Map<String, Class<?>> anchors() {
    return Map.of(
        "saim-api",
        SaimConfig.class,
        "saim-distributed",
        Collective.class,
        "saim-impl",
        DjlSaimProvider.class,
        "saim-zoo",
        SaimZoo.class,
        "saim-spark",
        EncoderSpec.class);
  }

  /** "class -> referenced class (module)" for each reference the module's rules forbid. */
  private static List<String> violations(String module, Predicate<String> alsoForbidden)
      throws IOException {
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, Set<String>> c : classes(anchors().get(module)).entrySet()) {
      for (String ref : c.getValue()) {
        String target = moduleOf(ref);
        boolean ours = target != null && !target.equals(module);
        boolean allowed =
            ours
                && (ALLOWED.get(module).contains(target)
                    || (module.equals("saim-spark") && target.equals("saim-impl")));
        if ((ours && !allowed)
            || alsoForbidden.test(ref)
            || (ref.startsWith(OURS) && target == null)) {
          out.add(
              c.getKey()
                  + " -> "
                  + ref
                  + " ("
                  + (target == null ? "not ours or unknown" : target)
                  + ")");
        }
      }
    }
    return out;
  }

  private static String moduleOf(String internalName) {
    if (!internalName.startsWith(OURS)) {
      return null;
    }
    int slash = internalName.lastIndexOf('/');
    return slash < OURS.length()
        ? null
        : MODULE_OF_PACKAGE.get(internalName.substring(OURS.length(), slash));
  }

  /** Every class of the module that holds {@code anchor}, with the classes it refers to. */
  private static Map<String, Set<String>> classes(Class<?> anchor) throws IOException {
    Path where;
    try {
      where = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
    Map<String, Set<String>> out = new TreeMap<>();
    if (Files.isDirectory(where)) {
      try (Stream<Path> files = Files.walk(where)) {
        for (Path f : (Iterable<Path>) files.filter(ModuleBoundariesTest::isClass)::iterator) {
          try (InputStream in = Files.newInputStream(f)) {
            read(in.readAllBytes(), out);
          }
        }
      }
    } else {
      try (JarFile jar = new JarFile(where.toFile())) {
        for (JarEntry e : (Iterable<JarEntry>) jar.stream()::iterator) {
          if (e.getName().endsWith(".class") && !e.getName().endsWith("module-info.class")) {
            try (InputStream in = jar.getInputStream(e)) {
              read(in.readAllBytes(), out);
            }
          }
        }
      }
    }
    if (out.isEmpty()) {
      throw new IOException("no classes in " + where);
    }
    return out;
  }

  private static boolean isClass(Path f) {
    String name = f.getFileName().toString();
    return name.endsWith(".class") && !name.equals("module-info.class");
  }

  /**
   * Reads a class file's constant pool: its own name and the classes it names, outside string
   * literals.
   */
  private static void read(byte[] bytes, Map<String, Set<String>> out) throws IOException {
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
    if (in.readInt() != 0xCAFEBABE) {
      throw new IOException("not a class file");
    }
    in.readUnsignedShort(); // minor
    in.readUnsignedShort(); // major
    int count = in.readUnsignedShort();
    String[] utf8 = new String[count];
    int[] classNameOf = new int[count]; // Class constant -> its name's Utf8 constant
    Set<Integer> literals = new HashSet<>();
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1 -> utf8[i] = in.readUTF();
        case 7 -> classNameOf[i] = in.readUnsignedShort();
        case 8 -> literals.add(in.readUnsignedShort());
        case 16, 19, 20 -> in.readUnsignedShort();
        case 15 -> in.skipBytes(3);
        case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
        case 5, 6 -> {
          in.skipBytes(8);
          i++; // takes two entries
        }
        default -> throw new IOException("constant pool tag " + tag + " at entry " + i);
      }
    }
    in.readUnsignedShort(); // access flags
    String self = utf8[classNameOf[in.readUnsignedShort()]];
    Set<String> refs = new TreeSet<>();
    for (int index : classNameOf) {
      if (index == 0) {
        continue;
      }
      String name = utf8[index];
      if (name.startsWith("[")) {
        addFromSignature(name, refs);
      } else {
        refs.add(name);
      }
    }
    for (int i = 1; i < count; i++) {
      if (utf8[i] != null && !literals.contains(i)) {
        addFromSignature(utf8[i], refs);
      }
    }
    refs.remove(self);
    out.put(self, refs);
  }

  private static void addFromSignature(String s, Set<String> refs) {
    Matcher m = CLASS_IN_SIGNATURE.matcher(s);
    while (m.find()) {
      refs.add(m.group(1));
    }
  }
}
