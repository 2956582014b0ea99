package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.github.saimjava.api.SaimEncoder;
import java.awt.image.BufferedImage;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zoo on the module path: a program that requires only {@code io.github.saimjava.api} (and so
 * DJL's {@code ai.djl.api}) loads a bundled model by name through the API, and through DJL's {@code
 * Criteria} by group and artifact id and by {@code djl://} URL, where DJL builds the translator
 * factory the zoo names by class: the zoo's package, exported to DJL alone, is enough. The program
 * runs in a child JVM on a module path made of this test's class path (saim-impl beside the zoo,
 * DJL, Guava, Gson, SLF4J); DJL's natives jars stay on the class path (their Automatic-Module-Name
 * is not a legal module name).
 */
class ZooModulePathTest {
  private static final Pattern TEST_LIBRARY =
      Pattern.compile(
          "^(junit-|jqwik-|opentest4j-|apiguardian-|surefire|common-java5|common-junit)");
  private static final Pattern NATIVES = Pattern.compile("^pytorch-(native-|jni-)");
  private static final String MODEL = "saim_vit_micro_patch4_32_fmnist";

  private static final String MODULE =
      """
      module saim.zoodemo {
        requires io.github.saimjava.api;
      }
      """;

  private static final String MAIN =
      """
      package zoodemo;

      import ai.djl.inference.Predictor;
      import ai.djl.modality.cv.Image;
      import ai.djl.modality.cv.ImageFactory;
      import ai.djl.repository.zoo.Criteria;
      import ai.djl.repository.zoo.ZooModel;
      import io.github.saimjava.api.SaimEncoder;
      import java.awt.image.BufferedImage;
      import java.util.List;

      public final class Main {
        public static void main(String[] args) throws Exception {
          Image image = ImageFactory.getInstance().fromImage(image());
          try (SaimEncoder encoder = SaimEncoder.builder().zoo(args[0]).threads(1).build()) {
            print("api", encoder.embedImages(List.of(image))[0]);
          }
          Criteria<Image, float[]> criteria = Criteria.builder().setTypes(Image.class, float[].class)
              .optGroupId("io.github.saimjava").optArtifactId(args[0]).build();
          try (ZooModel<Image, float[]> model = criteria.loadModel();
              Predictor<Image, float[]> predictor = model.newPredictor()) {
            print("criteria", predictor.predict(image));
          }
          // through the zoo's RepositoryFactory and serving.properties, which names the factories by class
          Criteria<Image, float[]> byUrl = Criteria.builder().setTypes(Image.class, float[].class)
              .optModelUrls("djl://io.github.saimjava/" + args[0]).build();
          try (ZooModel<Image, float[]> model = byUrl.loadModel();
              Predictor<Image, float[]> predictor = model.newPredictor()) {
            print("url", predictor.predict(image));
          }
        }

        static void print(String what, float[] v) {
          StringBuilder line = new StringBuilder(what);
          for (float x : v) {
            line.append(' ').append(x);
          }
          System.out.println(line);
        }

        public static BufferedImage image() {
          BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
          for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
              int g = (x * 8 + y * 3) & 0xff;
              img.setRGB(x, y, (g << 16) | (g << 8) | g);
            }
          }
          return img;
        }
      }
      """;

  @Test
  void aProgramOnTheModulePathLoadsAZooModelByNameAndThroughDjlCriteria(@TempDir Path dir)
      throws Exception {
    Path tests =
        Path.of(
            ZooModulePathTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Path> modulePath = new ArrayList<>();
    List<Path> nativesPath = new ArrayList<>();
    for (String entry :
        System.getProperty("java.class.path").split(Pattern.quote(File.pathSeparator))) {
      Path p = Path.of(entry);
      if (entry.isEmpty()
          || p.equals(tests)
          || TEST_LIBRARY.matcher(p.getFileName().toString()).find()) {
        continue;
      }
      (NATIVES.matcher(p.getFileName().toString()).find() ? nativesPath : modulePath).add(p);
    }

    Path src = dir.resolve("src");
    Path out = dir.resolve("classes");
    Files.createDirectories(src.resolve("zoodemo"));
    Files.writeString(src.resolve("module-info.java"), MODULE);
    Files.writeString(src.resolve("zoodemo/Main.java"), MAIN);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    // an empty class path: javac in this JVM would otherwise read the test's own class path
    Path noClassPath = Files.createDirectories(dir.resolve("no-class-path"));
    boolean compiled =
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
                        src.resolve("module-info.java"), src.resolve("zoodemo/Main.java")))
            .call();
    assertTrue(compiled, diagnostics.toString());

    Path cache = dir.resolve("cache");
    List<String> cmd =
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Dai.djl.offline=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
            "-Dsaim.cache.dir=" + cache,
            "--module-path",
            join(modulePath) + File.pathSeparator + out,
            "--class-path",
            join(nativesPath),
            "-m",
            "saim.zoodemo/zoodemo.Main",
            MODEL);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PYTORCH_FLAVOR", "cpu");
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "the program did not finish: " + output);
    assertEquals(
        0, p.exitValue(), "the program failed:\n" + output + "\ncommand: " + String.join(" ", cmd));

    // the same model in this JVM (class path) embeds the same image to the same vector, both ways
    String previous = System.getProperty("saim.cache.dir");
    System.setProperty("saim.cache.dir", dir.resolve("cache-here").toString());
    try {
      Image image = ImageFactory.getInstance().fromImage(image());
      float[] here;
      try (SaimEncoder encoder = SaimEncoder.builder().zoo(MODEL).threads(1).build()) {
        here = encoder.embedImages(List.of(image))[0];
      }
      assertArrayEquals(here, vector(output, "api"), 1e-5f, output);
      Criteria<Image, float[]> criteria =
          Criteria.builder()
              .setTypes(Image.class, float[].class)
              .optGroupId("io.github.saimjava")
              .optArtifactId(MODEL)
              .build();
      try (ZooModel<Image, float[]> model = criteria.loadModel();
          Predictor<Image, float[]> predictor = model.newPredictor()) {
        float[] byCriteria = predictor.predict(image);
        assertArrayEquals(byCriteria, vector(output, "criteria"), 1e-5f, output);
        assertArrayEquals(byCriteria, vector(output, "url"), 1e-5f, output);
      }
    } finally {
      if (previous == null) {
        System.clearProperty("saim.cache.dir");
      } else {
        System.setProperty("saim.cache.dir", previous);
      }
    }
  }

  private static float[] vector(String output, String what) {
    String line =
        output
            .lines()
            .filter(l -> l.startsWith(what + " "))
            .findFirst()
            .orElseThrow(
                () ->
                    new AssertionError("no " + what + " line in the program's output:\n" + output));
    String[] values = line.substring(what.length() + 1).split(" ");
    float[] v = new float[values.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = Float.parseFloat(values[i]);
    }
    return v;
  }

  // the program's image, drawn the same way here
  private static BufferedImage image() {
    BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 32; y++) {
      for (int x = 0; x < 32; x++) {
        int g = (x * 8 + y * 3) & 0xff;
        img.setRGB(x, y, (g << 16) | (g << 8) | g);
      }
    }
    return img;
  }

  private static String join(List<Path> paths) {
    return paths.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
  }
}
