package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import java.io.File;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The modules as a user of the module path sees them: a program that requires only {@code
 * io.github.saimjava.api} compiles, finds this module's provider through {@code ServiceLoader} and
 * embeds an image with it, while the implementation's packages stay out of its reach, both to javac
 * and to reflection. The program is compiled and run in a child JVM, on a module path made of the
 * test's own class path (our modules, DJL, Guava, Gson, SLF4J); DJL's PyTorch natives jars stay on
 * the class path, since their Automatic-Module-Name ({@code
 * ai.djl.pytorch_native_cpu_linux-x86_64}) is not a legal module name.
 */
class ModulePathTest {
  // the test's own libraries, which the program does not need
  private static final Pattern TEST_LIBRARY =
      Pattern.compile(
          "^(junit-|jqwik-|opentest4j-|apiguardian-|surefire|common-java5|common-junit)");
  private static final Pattern NATIVES = Pattern.compile("^pytorch-(native-|jni-)");

  // the same model in the program and in this JVM: a random initialisation, seed 7
  private static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(48)
          .depth(2)
          .heads(3)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  private static final String DEMO_MODULE =
      """
      module saim.demo {
        requires io.github.saimjava.api;
        uses io.github.saimjava.api.spi.SaimProvider;
      }
      """;

  private static final String DEMO_MAIN =
      """
      package demo;

      import io.github.saimjava.api.RawImage;
      import io.github.saimjava.api.SaimConfig;
      import io.github.saimjava.api.SaimEncoder;
      import io.github.saimjava.api.spi.SaimProvider;
      import java.lang.reflect.Constructor;
      import java.lang.reflect.InaccessibleObjectException;
      import java.util.ServiceLoader;

      public final class Main {
        public static void main(String[] args) throws Exception {
          Module api = SaimConfig.class.getModule();
          System.out.println("api " + api.getName() + " automatic=" + api.getDescriptor().isAutomatic());
          for (ServiceLoader.Provider<SaimProvider> p : ServiceLoader.load(SaimProvider.class).stream().toList()) {
            Module m = p.type().getModule();
            System.out.println("provider " + p.type().getName() + " in " + m.getName()
                + " automatic=" + m.getDescriptor().isAutomatic() + " exports=" + m.getDescriptor().exports());
          }
          SaimConfig config = SaimConfig.builder().imageSize(32).patchSize(8).width(48).depth(2)
              .heads(3).queryDepth(2).blur(3, 1).build();
          try (SaimEncoder encoder = SaimEncoder.builder().config(config).seed(7).threads(1).build()) {
            float[] v = encoder.embed(new RawImage(32, 32, 3, Main.pixels()));
            StringBuilder line = new StringBuilder("embedding");
            for (float x : v) {
              line.append(' ').append(x);
            }
            System.out.println(line);
          }
          Class<?> internal = Class.forName("io.github.saimjava.provider.DjlSaimProvider");
          Constructor<?> c = internal.getConstructor();
          try {
            c.newInstance();
            System.out.println("newInstance allowed");
          } catch (IllegalAccessException e) {
            System.out.println("newInstance refused: " + e.getMessage());
          }
          try {
            c.setAccessible(true);
            System.out.println("setAccessible allowed");
          } catch (InaccessibleObjectException e) {
            System.out.println("setAccessible refused: " + e.getMessage());
          }
        }

        static byte[] pixels() {
          byte[] px = new byte[32 * 32 * 3];
          for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 7);
          }
          return px;
        }
      }
      """;

  private static final String SNEAKY_MODULE =
      """
      module saim.sneaky {
        requires io.github.saimjava.impl;
      }
      """;

  private static final String SNEAKY_MAIN =
      """
      package sneaky;

      public final class Main {
        public static void main(String[] args) {
          System.out.println(io.github.saimjava.model.SaimModel.class);
        }
      }
      """;

  @TempDir static Path dir;
  private static final List<Path> modulePath = new ArrayList<>();
  private static final List<Path> nativesPath = new ArrayList<>();

  @BeforeAll
  static void splitTheClassPath() throws Exception {
    Path tests =
        Path.of(ModulePathTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    for (String entry :
        System.getProperty("java.class.path").split(Pattern.quote(File.pathSeparator))) {
      Path p = Path.of(entry);
      String name = p.getFileName().toString();
      if (entry.isEmpty() || p.equals(tests) || TEST_LIBRARY.matcher(name).find()) {
        continue;
      }
      (NATIVES.matcher(name).find() ? nativesPath : modulePath).add(p);
    }
    assertFalse(
        nativesPath.isEmpty(),
        "no PyTorch natives jar on the class path: " + System.getProperty("java.class.path"));
  }

  @Test
  void aProgramThatRequiresOnlyTheApiEmbedsWithThisModulesProviderAndCannotReachItsPackages()
      throws Exception {
    Path out = dir.resolve("demo-classes");
    String errors = compile(dir.resolve("demo"), out, DEMO_MODULE, "demo", DEMO_MAIN);
    assertEquals("", errors, "the program that uses only the API does not compile");

    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                "--module-path",
                join(modulePath) + File.pathSeparator + out,
                "--class-path",
                join(nativesPath),
                "-m",
                "saim.demo/demo.Main"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PYTORCH_FLAVOR", "cpu");
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "the program did not finish: " + output);
    assertEquals(
        0, p.exitValue(), "the program failed:\n" + output + "\ncommand: " + String.join(" ", cmd));
    List<String> lines = output.lines().collect(Collectors.toList());

    assertTrue(lines.contains("api io.github.saimjava.api automatic=false"), output);
    // one provider, from our explicit module, which exports nothing
    assertEquals(
        List.of(
            "provider io.github.saimjava.provider.DjlSaimProvider in io.github.saimjava.impl"
                + " automatic=false exports=[]"),
        lines.stream().filter(l -> l.startsWith("provider ")).toList(),
        output);
    assertTrue(
        lines.contains(
            "newInstance refused: class demo.Main (in module saim.demo) cannot access class"
                + " io.github.saimjava.provider.DjlSaimProvider (in module io.github.saimjava.impl)"
                + " because module io.github.saimjava.impl does not export"
                + " io.github.saimjava.provider to module saim.demo"),
        output);
    assertTrue(
        lines.stream()
            .anyMatch(
                l ->
                    l.startsWith(
                        "setAccessible refused: Unable to make public"
                            + " io.github.saimjava.provider.DjlSaimProvider() accessible: module"
                            + " io.github.saimjava.impl does not \"exports"
                            + " io.github.saimjava.provider\" to module saim.demo")),
        output);

    // the embedding is this module's: the same model in this JVM (class path) gives the same vector
    String embedding =
        lines.stream()
            .filter(l -> l.startsWith("embedding "))
            .findFirst()
            .orElseThrow(
                () -> new AssertionError("no embedding in the program's output:\n" + output));
    String[] values = embedding.substring("embedding ".length()).split(" ");
    float[] fromModulePath = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      fromModulePath[i] = Float.parseFloat(values[i]);
    }
    byte[] px = new byte[32 * 32 * 3];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (i * 7);
    }
    try (SaimEncoder encoder = SaimEncoder.builder().config(TINY).seed(7).threads(1).build()) {
      float[] here = encoder.embed(new RawImage(32, 32, 3, px));
      assertEquals(48, here.length);
      assertArrayEquals(here, fromModulePath, 1e-5f);
    }
  }

  @Test
  void aModuleThatRequiresTheImplementationCannotImportItsPackages() throws Exception {
    String errors =
        compile(
            dir.resolve("sneaky"),
            dir.resolve("sneaky-classes"),
            SNEAKY_MODULE,
            "sneaky",
            SNEAKY_MAIN);
    assertTrue(errors.contains("package io.github.saimjava.model is not visible"), errors);
    assertTrue(
        errors.contains(
            "(package io.github.saimjava.model is declared in module io.github.saimjava.impl, "
                + "which does not export it)"),
        errors);
  }

  /**
   * Compiles a one-class module against the module path; returns javac's diagnostics, empty if it
   * compiled.
   */
  private static String compile(Path src, Path out, String moduleInfo, String pkg, String main)
      throws Exception {
    Files.createDirectories(src.resolve(pkg));
    Files.writeString(src.resolve("module-info.java"), moduleInfo);
    Files.writeString(src.resolve(pkg).resolve("Main.java"), main);
    // an empty class path: javac in this JVM would otherwise read the test's own class path
    Path noClassPath = Files.createDirectories(dir.resolve("no-class-path"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    boolean ok =
        javac
            .getTask(
                diagnostics,
                null,
                null,
                List.of(
                    "--module-path",
                    join(modulePath),
                    "--class-path",
                    noClassPath.toString(),
                    "-d",
                    out.toString(),
                    "-Xlint:-requires-automatic"),
                null,
                javac
                    .getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8)
                    .getJavaFileObjects(
                        src.resolve("module-info.java"), src.resolve(pkg).resolve("Main.java")))
            .call();
    String text = diagnostics.toString();
    return ok ? text : (text.isEmpty() ? "javac failed without a diagnostic" : text);
  }

  private static String join(List<Path> paths) {
    return paths.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
  }
}
