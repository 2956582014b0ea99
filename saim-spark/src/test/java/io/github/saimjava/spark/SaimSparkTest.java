package io.github.saimjava.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.spi.ZooResolver;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.EmbeddedFashionMnist;
import io.github.saimjava.data.IdxDataset;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The Spark embedding end to end in local mode (two task threads, one executor: this JVM) on 300
 * Fashion-MNIST test images written as files: every vector must equal the single-machine {@link
 * SaimEncoder#embedFiles} vector of the same file (what {@code saim embed} computes), and the
 * encoder must be loaded once for all partitions and jobs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SaimSparkTest {
  static final int IMAGES = 300;
  static final double TOLERANCE = 1e-5;
  static final String ZOO = "saim_vit_micro_patch4_32_fmnist";

  /** A small random-init encoder: 32 px, 16 patches, width 48, depth 2. */
  static final SaimConfig SMALL =
      SaimConfig.vitTiny().toBuilder()
          .imageSize(32)
          .patchSize(8)
          .width(48)
          .depth(2)
          .queryDepth(2)
          .heads(3)
          .build();

  @TempDir static Path dir;
  SparkSession spark;
  Path images;

  /** The image files, sorted: what the job must embed. */
  List<Path> files;

  @BeforeAll
  void start() throws Exception {
    System.setProperty("saim.cache.dir", dir.resolve("zoo-cache").toString());
    images = dir.resolve("images");
    files = writeImages(images);
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("saim-spark-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate();
  }

  @AfterAll
  void stop() {
    SaimSpark.closeEncoders();
    spark.stop();
    System.clearProperty("saim.cache.dir");
  }

  /**
   * Fashion-MNIST test images 0..299 in class folders, in three forms so every decoder path runs:
   * 28 px grayscale PNG, 32 px tinted RGB PNG (upper-case extension), 40 x 36 RGB JPEG (resized and
   * cropped by the encoder). A text file and a hidden image are not images to embed.
   */
  static List<Path> writeImages(Path root) throws Exception {
    IdxDataset fmnist = EmbeddedFashionMnist.test();
    List<Path> out = new ArrayList<>();
    for (int i = 0; i < IMAGES; i++) {
      DecodedImage img = fmnist.image(i);
      Path folder = Files.createDirectories(root.resolve("class" + fmnist.label(i)));
      Path file;
      if (i % 3 == 0) {
        BufferedImage gray = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setDataElements(0, 0, 28, 28, img.pixels());
        file = folder.resolve(String.format("img%03d.png", i));
        ImageIO.write(gray, "png", file.toFile());
      } else {
        boolean png = i % 3 == 1;
        int w = png ? 32 : 40;
        int h = png ? 32 : 36;
        BufferedImage rgb = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            int v = img.at(Math.min(27, x * 28 / w), Math.min(27, y * 28 / h), 0);
            rgb.setRGB(x, y, v << 16 | (255 - v) << 8 | (v + i) % 256);
          }
        }
        file = folder.resolve(String.format(png ? "img%03d.PNG" : "img%03d.jpg", i));
        ImageIO.write(rgb, png ? "png" : "jpeg", file.toFile());
      }
      out.add(file);
    }
    Files.writeString(root.resolve("class0/notes.txt"), "not an image");
    ImageIO.write(
        new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB),
        "png",
        root.resolve("class0/.hidden.png").toFile());
    out.sort(null);
    return out;
  }

  /** The Parquet output as path -> vector, with the {@code model} column checked. */
  Map<Path, float[]> read(Path parquet, String model) {
    Map<Path, float[]> vectors = new TreeMap<>();
    for (Row r : spark.read().parquet(parquet.toString()).collectAsList()) {
      assertEquals(model, r.getString(r.fieldIndex("model")));
      List<Float> v = r.getList(r.fieldIndex("vector"));
      float[] f = new float[v.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = v.get(i);
      }
      String path = r.getString(r.fieldIndex("path"));
      assertTrue(
          vectors.put(path.startsWith("file:") ? Path.of(URI.create(path)) : Path.of(path), f)
              == null,
          path);
    }
    return vectors;
  }

  /** The largest relative error ||spark - reference|| / ||reference|| over the rows. */
  static double maxRelativeError(Map<Path, float[]> spark, List<Path> files, float[][] reference) {
    double worst = 0;
    for (int i = 0; i < files.size(); i++) {
      float[] got = spark.get(files.get(i));
      float[] want = reference[i];
      assertEquals(want.length, got.length, files.get(i).toString());
      double diff = 0;
      double norm = 0;
      for (int k = 0; k < want.length; k++) {
        diff += (got[k] - want[k]) * (double) (got[k] - want[k]);
        norm += want[k] * (double) want[k];
      }
      worst = Math.max(worst, Math.sqrt(diff / norm));
    }
    return worst;
  }

  record Run(int exitCode, String out, String err) {}

  static Run job(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = EmbedJob.newCommandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void libraryApiEmbedsEveryImageOfAFolderAsTheSingleMachineEncoderDoesLoadingItOnce()
      throws Exception {
    EncoderSpec spec = EncoderSpec.randomInit(SMALL, 7).build();
    var paths = SaimSpark.listImages(spark, images.toString());
    int partitions = paths.rdd().getNumPartitions();
    assertTrue(partitions >= 4, "want several partitions per task thread, got " + partitions);
    long loadsBefore = EncoderCache.loads();
    var vectors = SaimSpark.embed(paths, spec, 16);
    assertEquals(IMAGES, vectors.count()); // a first job
    Path out = dir.resolve("random.parquet");
    vectors.write().parquet(out.toString()); // a second job, on the same encoder
    assertEquals(
        1,
        EncoderCache.loads() - loadsBefore,
        "one load for " + partitions + " partitions and two jobs");

    Map<Path, float[]> got = read(out, "random-init-seed-7");
    assertEquals(files, List.copyOf(got.keySet()));
    float[][] reference;
    try (SaimEncoder encoder = SaimEncoder.builder().config(SMALL).seed(7).threads(1).build()) {
      reference = encoder.embedFiles(files);
    }
    double err = maxRelativeError(got, files, reference);
    System.out.printf(
        "random-init: %d rows, %d partitions, max relative error %.3g%n",
        got.size(), partitions, err);
    assertTrue(err < TOLERANCE, "max relative error " + err);
  }

  @Test
  void jobEmbedsWithTheZooModelAsTheSingleMachineEncoderDoes() throws Exception {
    Path out = dir.resolve("zoo.parquet");
    long loadsBefore = EncoderCache.loads();
    Run r =
        job(
            "--zoo",
            ZOO,
            "--input",
            images.toString(),
            "--batch-size",
            "32",
            "--output",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(1, EncoderCache.loads() - loadsBefore);
    assertTrue(
        r.out()
            .startsWith(
                "wrote "
                    + IMAGES
                    + " vectors of "
                    + ZOO
                    + " to "
                    + out
                    + "; encoder loaded 1 time(s)"),
        r.out());

    Map<Path, float[]> got = read(out, ZOO);
    assertEquals(files, List.copyOf(got.keySet()));
    float[][] reference;
    try (SaimEncoder encoder = SaimEncoder.builder().zoo(ZOO).threads(1).build()) {
      assertEquals(encoder.dimension(), got.get(files.get(0)).length);
      reference = encoder.embedFiles(files);
    }
    double err = maxRelativeError(got, files, reference);
    System.out.printf("zoo %s: %d rows, max relative error %.3g%n", ZOO, got.size(), err);
    assertTrue(err < TOLERANCE, "max relative error " + err);
  }

  @Test
  void aCsvTableOfPathsWithBadImagesFailsNamingTheFileOrSkipsAndCounts() throws Exception {
    Path garbage = Files.write(dir.resolve("garbage.png"), new byte[] {1, 2, 3, 4});
    Path missing = dir.resolve("missing.png");
    List<Path> some = files.subList(0, 40);
    StringBuilder csv = new StringBuilder("label,path\n");
    for (int i = 0; i < some.size(); i++) {
      csv.append(i % 10).append(',').append(some.get(i)).append('\n');
      if (i == 17) {
        csv.append("1,").append(garbage).append('\n');
      }
    }
    csv.append("2,").append(missing).append('\n');
    Path table =
        Files.writeString(dir.resolve("paths.csv"), csv.toString(), StandardCharsets.UTF_8);
    String[] common = {
      "--random-init",
      "--model",
      "tiny",
      "--img-size",
      "32",
      "--patch-size",
      "8",
      "--dim",
      "48",
      "--depth",
      "2",
      "--heads",
      "3",
      "--seed",
      "11",
      "--input",
      table.toString(),
      "--input-format",
      "csv",
      "--partitions",
      "3",
      "--batch-size",
      "8",
      "--model-name",
      "tiny-test"
    };

    Path strictOut = dir.resolve("strict.parquet");
    Run strict = job(concat(common, "--output", strictOut.toString()));
    assertEquals(EmbedJob.BAD_INPUT, strict.exitCode(), strict.err());
    assertTrue(
        strict.err().contains(garbage + ": not a supported image (JPEG or PNG expected)")
            || strict.err().contains(missing + ": no such file"),
        strict.err());
    assertEquals(1, strict.err().strip().lines().count(), strict.err());
    assertFalse(
        Files.exists(strictOut),
        () ->
            "a failed run leaves no output behind, so a rerun may use the path: "
                + listing(strictOut));

    Path out = dir.resolve("lenient.parquet");
    Run lenient = job(concat(common, "--skip-bad-images", "--output", out.toString()));
    assertEquals(0, lenient.exitCode(), lenient.err());
    assertTrue(lenient.out().strip().endsWith("skipped 2 bad image(s)"), lenient.out());
    Map<Path, float[]> got = read(out, "tiny-test");
    assertEquals(some, List.copyOf(got.keySet()));
    float[][] reference;
    try (SaimEncoder encoder = SaimEncoder.builder().config(SMALL).seed(11).threads(1).build()) {
      reference = encoder.embedFiles(some);
    }
    assertTrue(maxRelativeError(got, some, reference) < TOLERANCE);
  }

  /**
   * The job reads a folder by {@code saim embed}'s rules ({@code ImageFiles}, the tests of the
   * CLI's {@code FolderRulesTest}): a zero-byte image counts, and is a bad image (an error naming
   * it, or skipped and counted); a link loop is an error naming the link.
   */
  @Test
  void aFolderIsReadByTheCliRulesEmptyImagesCountAndLinkLoopsAreRefused() throws Exception {
    Path folder = dir.resolve("rules");
    Path a = Files.createDirectories(folder.resolve("a"));
    Files.copy(files.get(0), a.resolve("x.png"));
    Files.copy(files.get(3), Files.createDirectories(folder.resolve("b")).resolve("y.png"));
    Files.createSymbolicLink(a.resolve("link.png"), Path.of("../b/y.png"));
    Path empty = Files.createFile(a.resolve("empty.jpg"));
    String[] common = {
      "--random-init",
      "--model",
      "tiny",
      "--img-size",
      "32",
      "--patch-size",
      "8",
      "--dim",
      "48",
      "--depth",
      "2",
      "--heads",
      "3",
      "--input",
      folder.toString(),
      "--batch-size",
      "2",
      "--model-name",
      "tiny-test"
    };
    Run strict = job(concat(common, "--output", dir.resolve("rules-strict.parquet").toString()));
    assertEquals(EmbedJob.BAD_INPUT, strict.exitCode(), strict.err());
    assertEquals(1, strict.err().strip().lines().count(), strict.err());
    assertTrue(strict.err().contains(empty.toString()), strict.err());

    Path out = dir.resolve("rules.parquet");
    Run lenient = job(concat(common, "--skip-bad-images", "--output", out.toString()));
    assertEquals(0, lenient.exitCode(), lenient.err());
    assertTrue(lenient.out().strip().endsWith("skipped 1 bad image(s)"), lenient.out());
    assertEquals(
        List.of(a.resolve("link.png"), a.resolve("x.png"), folder.resolve("b/y.png")),
        List.copyOf(read(out, "tiny-test").keySet()));

    Files.delete(empty);
    Path up = Files.createSymbolicLink(a.resolve("up"), Path.of(".."));
    Run loop = job(concat(common, "--output", dir.resolve("rules-loop.parquet").toString()));
    assertEquals(EmbedJob.BAD_INPUT, loop.exitCode(), loop.err());
    assertEquals(
        "saim-spark: error: "
            + up
            + ": a link that leads back to a folder it is in (-> ..), which would list the same"
            + " images without end; remove the link",
        loop.err().strip());
  }

  @Test
  void aParquetTableOfPathsEmbedsWithACheckpointGivenAsAFileUri() throws Exception {
    Path weights = ZooResolver.find(ZOO).weights();
    List<Path> some = files.subList(100, 130);
    List<Row> rows = new ArrayList<>();
    for (Path p : some) {
      rows.add(RowFactory.create(p.toUri().toString(), p.getFileName().toString()));
    }
    Path table = dir.resolve("paths.parquet");
    spark
        .createDataFrame(rows, new StructType().add("image", "string").add("name", "string"))
        .write()
        .parquet(table.toString());

    // block 2 of the encoder, not the last: the spec carries the layer to the executors
    EncoderSpec spec =
        EncoderSpec.checkpoint(weights.toUri().toString())
            .pooling(SaimEncoder.Pooling.MEAN)
            .layer(2)
            .l2Normalize(true)
            .build();
    assertEquals(weights.getFileName().toString(), spec.defaultModelName());
    Path out = dir.resolve("checkpoint.parquet");
    SaimSpark.embedder(spec)
        .pathColumn("image")
        .batchSize(7)
        .embed(spark.read().parquet(table.toString()).repartition(3))
        .write()
        .parquet(out.toString());

    Map<Path, float[]> got = read(out, spec.defaultModelName());
    assertEquals(some, List.copyOf(got.keySet()));
    float[][] reference;
    try (SaimEncoder encoder =
        SaimEncoder.builder()
            .checkpoint(weights)
            .pooling(SaimEncoder.Pooling.MEAN)
            .layer(2)
            .l2Normalize(true)
            .threads(1)
            .build()) {
      reference = encoder.embedFiles(some);
    }
    assertTrue(maxRelativeError(got, some, reference) < TOLERANCE);
  }

  /**
   * {@code --precision bf16} reaches the executors' encoders: the vectors move away from float32's
   * by about what bfloat16 rounding gives (0.4% to 0.9% of their length on single-machine
   * encoders), neither exactly nor far.
   */
  @Test
  void jobEmbedsInBfloat16WhenAsked() throws Exception {
    Path out = dir.resolve("zoo-bf16.parquet");
    Run r =
        job(
            "--zoo",
            ZOO,
            "--precision",
            "bf16",
            "--input",
            images.toString(),
            "--output",
            out.toString());
    assertEquals(0, r.exitCode(), r.err());
    Map<Path, float[]> got = read(out, ZOO);
    assertEquals(files, List.copyOf(got.keySet()));
    float[][] fp32;
    try (SaimEncoder encoder = SaimEncoder.builder().zoo(ZOO).threads(1).build()) {
      fp32 = encoder.embedFiles(files);
    }
    double err = maxRelativeError(got, files, fp32);
    System.out.printf("zoo %s in bf16: max relative error against fp32 %.3g%n", ZOO, err);
    assertTrue(err > 1e-4 && err < 3e-2, "max relative error against fp32 " + err);
  }

  @Test
  void inputErrorsAreOneLineAndExitCode2() throws Exception {
    Path existing = Files.createDirectories(dir.resolve("existing.parquet"));
    Run exists = job("--zoo", ZOO, "--input", images.toString(), "--output", existing.toString());
    assertEquals(EmbedJob.BAD_INPUT, exists.exitCode());
    assertEquals(
        "saim-spark: error: "
            + existing
            + ": already exists; the job never replaces an output "
            + "(choose another path or delete it)",
        exists.err().strip());

    Run noSuchZoo =
        job("--zoo", "nope", "--input", images.toString(), "--output", dir.resolve("a").toString());
    assertEquals(EmbedJob.BAD_INPUT, noSuchZoo.exitCode());
    assertTrue(
        noSuchZoo.err().startsWith("saim-spark: error: unknown zoo model 'nope' (known: "),
        noSuchZoo.err());

    Run badLayer =
        job(
            "--zoo",
            ZOO,
            "--layer",
            "0",
            "--input",
            images.toString(),
            "--output",
            dir.resolve("b").toString());
    assertEquals(EmbedJob.BAD_INPUT, badLayer.exitCode());
    assertEquals(
        "saim-spark: error: --layer must be 1 or more (a block of the encoder), got 0",
        badLayer.err().strip());
    Run badPooling =
        job(
            "--zoo",
            ZOO,
            "--pooling",
            "max",
            "--input",
            images.toString(),
            "--output",
            dir.resolve("c").toString());
    assertEquals(EmbedJob.BAD_INPUT, badPooling.exitCode());
    assertEquals(
        "saim-spark: error: --pooling must be cls, mean or cls_mean, got 'max'",
        badPooling.err().strip());
    Run badPrecision =
        job(
            "--zoo",
            ZOO,
            "--precision",
            "fp16",
            "--input",
            images.toString(),
            "--output",
            dir.resolve("c").toString());
    assertEquals(EmbedJob.BAD_INPUT, badPrecision.exitCode());
    assertEquals(
        "saim-spark: error: --precision must be fp32 or bf16, got 'fp16'",
        badPrecision.err().strip());

    Path empty = Files.createDirectories(dir.resolve("no-images"));
    Files.writeString(empty.resolve("readme.txt"), "text");
    Run none =
        job("--zoo", ZOO, "--input", empty.toString(), "--output", dir.resolve("b").toString());
    assertEquals(EmbedJob.BAD_INPUT, none.exitCode());
    assertEquals(
        "saim-spark: error: " + empty + ": no JPEG or PNG images found", none.err().strip());

    Run gone =
        job(
            "--zoo",
            ZOO,
            "--input",
            dir.resolve("gone").toString(),
            "--output",
            dir.resolve("c").toString());
    assertEquals(EmbedJob.BAD_INPUT, gone.exitCode());
    assertTrue(
        gone.err().startsWith("saim-spark: error: " + dir.resolve("gone") + ": "), gone.err());
    assertEquals(1, gone.err().strip().lines().count(), gone.err());

    Path table = dir.resolve("names.parquet");
    spark
        .createDataFrame(
            List.of(RowFactory.create(files.get(0).toString())),
            new StructType().add("file", "string"))
        .write()
        .parquet(table.toString());
    Run noColumn =
        job(
            "--zoo",
            ZOO,
            "--input",
            table.toString(),
            "--input-format",
            "parquet",
            "--output",
            dir.resolve("d").toString());
    assertEquals(EmbedJob.BAD_INPUT, noColumn.exitCode());
    assertEquals(
        "saim-spark: error: the input has no column 'path' (columns: file)",
        noColumn.err().strip());
    for (String out : List.of("a", "b", "c", "d")) {
      assertFalse(Files.exists(dir.resolve(out)), out);
    }
  }

  static String listing(Path p) {
    try (Stream<Path> s = Files.walk(p)) {
      return s.map(Path::toString).toList().toString();
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  static String[] concat(String[] a, String... b) {
    return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
  }
}
