package io.github.saimjava.spark;

import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkExecutorInfo;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The {@code spark-submit} job: embeds every image of a folder (or of a table of paths) with a SAIM
 * encoder and writes Parquet rows (path, vector, model). Run {@code --help} for the options; the
 * documentation's "Scaling out" page ({@code docs/scaling-out.md}, section "Spark") has the full
 * command.
 */
@Command(
    name = "saim-spark-embed",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = EmbedJob.Version.class,
    description = {
      "Embeds an image collection on Spark and writes Parquet rows (path, vector, model).",
      "Input: a folder searched recursively for JPEG/PNG files, or a Parquet or CSV table with a"
          + " column of image paths (Hadoop paths or URIs).",
      "Each executor loads the encoder once and shares it across its tasks. A bad image fails the"
          + " job naming the file, unless --skip-bad-images."
    })
public final class EmbedJob implements Callable<Integer> {
  /** Exit code for input the job refuses. */
  static final int BAD_INPUT = 2;

  @Spec CommandSpec spec;

  static final class Weights {
    @Option(
        names = "--checkpoint",
        paramLabel = "PATH",
        required = true,
        description =
            "Weights (.safetensors of ours or a reference .pth): a path every executor can read, "
                + "an hdfs:// or s3a:// URI, or the name of a file shipped with --files.")
    @Nullable String checkpoint;

    @Option(
        names = "--zoo",
        paramLabel = "NAME",
        required = true,
        description =
            "A pretrained encoder of the saim-zoo by name (e.g. saim_vit_micro_patch4_32_fmnist).")
    @Nullable String zoo;

    @Option(
        names = "--random-init",
        required = true,
        description = "A randomly initialised encoder (seeded by --seed).")
    boolean randomInit;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Weights weights = new Weights();

  @Option(
      names = "--input",
      paramLabel = "PATH",
      required = true,
      description = "Folder of images, or a table of paths.")
  String input;

  @Option(
      names = "--input-format",
      paramLabel = "images|parquet|csv",
      description = "What --input is (default: ${DEFAULT-VALUE}); a CSV table has a header line.")
  String inputFormat = "images";

  @Option(
      names = "--path-column",
      paramLabel = "NAME",
      description = "The table's column of paths (default: ${DEFAULT-VALUE}).")
  String pathColumn = "path";

  @Option(
      names = "--model",
      paramLabel = "NAME",
      description = "Preset: tiny, small, base or large (default: base).")
  @Nullable String model;

  @Option(names = "--dim", description = "Token width (overrides the preset).")
  @Nullable Integer dim;

  @Option(names = "--depth", description = "Encoder blocks (overrides the preset).")
  @Nullable Integer depth;

  @Option(names = "--heads", description = "Attention heads (overrides the preset).")
  @Nullable Integer heads;

  @Option(names = "--img-size", description = "Image size in pixels (presets: 224).")
  @Nullable Integer imgSize;

  @Option(names = "--patch-size", description = "Patch size in pixels (presets: 16).")
  @Nullable Integer patchSize;

  @Option(names = "--seed", description = "Seed of --random-init (default: ${DEFAULT-VALUE}).")
  long seed = 0;

  @Option(
      names = "--pooling",
      paramLabel = "P",
      description =
          "cls (class token after the final LayerNorm), mean (mean of the patch tokens, then a"
              + " LayerNorm) or cls_mean (both, concatenated) (default: ${DEFAULT-VALUE}).")
  String pooling = "cls";

  @Option(
      names = "--layer",
      paramLabel = "K",
      description =
          "Read the features after block K (1 to the encoder's depth) instead of the last (default:"
              + " the last block).")
  @Nullable Integer layer;

  @Option(names = "--l2", description = "Scale each vector to unit length.")
  boolean l2;

  @Option(
      names = "--threads",
      description = "PyTorch threads per task (default: ${DEFAULT-VALUE}; match spark.task.cpus).")
  int threads = 1;

  @Option(
      names = "--precision",
      paramLabel = "fp32|bf16",
      description =
          "The encoder's matrix multiplies in float32 or bfloat16 (faster on CPUs with AVX-512"
              + " BF16 or AMX; the vectors, still float32, then differ from float32's by about"
              + " 1e-2 of their length; default: ${DEFAULT-VALUE}).")
  String precision = "fp32";

  @Option(
      names = "--batch-size",
      description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize = 32;

  @Option(
      names = "--partitions",
      paramLabel = "N",
      description = "Repartition the paths into N partitions first.")
  @Nullable Integer partitions;

  @Option(
      names = "--model-name",
      paramLabel = "NAME",
      description =
          "The 'model' column (default: the zoo name, the checkpoint's file name or"
              + " random-init-seed-N).")
  @Nullable String modelName;

  @Option(
      names = "--skip-bad-images",
      description = "Skip (and count) images that are missing or cannot be decoded.")
  boolean skipBadImages;

  @Option(
      names = "--output",
      paramLabel = "PATH",
      required = true,
      description = "Parquet output; must not exist yet.")
  String output;

  /** Runs the job in the Spark application spark-submit started; exits with its status. */
  public static void main(String[] args) {
    int code = newCommandLine().execute(args);
    scala.Option<SparkSession> session = SparkSession.getDefaultSession();
    if (session.isDefined()) {
      session.get().stop();
    }
    System.exit(code);
  }

  /** The configured command line; runs in the active (or a new) Spark session. */
  static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new EmbedJob());
    cl.setExecutionExceptionHandler(EmbedJob::handle);
    return cl;
  }

  @Override
  public Integer call() throws IOException {
    EncoderSpec encoder = encoderSpec();
    SparkSession spark = SparkSession.builder().appName("saim-spark-embed").getOrCreate();
    Path out = new Path(output);
    FileSystem fs = out.getFileSystem(spark.sparkContext().hadoopConfiguration());
    if (fs.exists(out)) {
      throw new IllegalArgumentException(
          output
              + ": already exists; the job never replaces an output "
              + "(choose another path or delete it)");
    }
    Dataset<Row> paths = paths(spark);
    if (partitions != null) {
      if (partitions <= 0) {
        throw new IllegalArgumentException("--partitions (" + partitions + ") must be positive");
      }
      paths = paths.repartition(partitions);
    }
    LongAccumulator loads = spark.sparkContext().longAccumulator("saim encoder loads");
    LongAccumulator skipped = spark.sparkContext().longAccumulator("saim bad images skipped");
    SaimSpark.Embedder embedder =
        SaimSpark.embedder(encoder)
            .pathColumn(pathColumn)
            .batchSize(batchSize)
            .modelName(modelName)
            .countLoads(loads);
    if (skipBadImages) {
      embedder.skipBadImages(skipped);
    }
    try {
      embedder.embed(paths).write().parquet(output);
    } catch (
        Exception e) { // including Spark's SparkException, checked but not declared by Scala code
      removeUncommitted(spark, fs, out);
      throw e;
    }
    Dataset<Row> written = spark.read().parquet(output);
    long rows = written.count();
    PrintWriter o = spec.commandLine().getOut();
    o.printf(
        Locale.ROOT,
        "wrote %d vectors of %s to %s; encoder loaded %d time(s)%s%n",
        rows,
        modelName != null ? modelName : encoder.defaultModelName(),
        output,
        loads.value(),
        skipBadImages ? "; skipped " + skipped.value() + " bad image(s)" : "");
    o.flush();
    return 0;
  }

  /**
   * Deletes what a failed write left at {@code out} when nothing was committed there (only Spark's
   * {@code _temporary} folder): Spark leaves the folder behind, which would make the next run
   * refuse the path. The existence check before the write guarantees the folder is this run's.
   */
  private static void removeUncommitted(SparkSession spark, FileSystem fs, Path out) {
    try {
      // the other tasks of the failed job are cancelled asynchronously and write into _temporary
      // until they stop: wait for them, or a late one would create the folder again
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (runningTasks(spark) > 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      if (!fs.exists(out)) {
        return;
      }
      for (FileStatus f : fs.listStatus(out)) {
        if (!f.getPath().getName().equals("_temporary")) {
          return;
        }
      }
      fs.delete(out, true);
    } catch (IOException e) { // the job's own error is the one to report
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static int runningTasks(SparkSession spark) {
    int n = 0;
    for (SparkExecutorInfo e : spark.sparkContext().statusTracker().getExecutorInfos()) {
      n += e.numRunningTasks();
    }
    return n;
  }

  private EncoderSpec encoderSpec() {
    SaimEncoder.Pooling p = parse(SaimEncoder.Pooling.class, pooling, "--pooling");
    Precision numbers = parse(Precision.class, precision, "--precision");
    if (layer != null && layer < 1) {
      throw new IllegalArgumentException(
          "--layer must be 1 or more (a block of the encoder), got " + layer);
    }
    boolean architecture =
        model != null
            || dim != null
            || depth != null
            || heads != null
            || imgSize != null
            || patchSize != null;
    EncoderSpec.Builder b;
    if (weights.zoo != null) {
      if (architecture) {
        throw new IllegalArgumentException(
            "--zoo "
                + weights.zoo
                + " brings its own architecture: "
                + "give no --model, --dim, --depth, --heads, --img-size or --patch-size");
      }
      b = EncoderSpec.zoo(weights.zoo);
    } else if (weights.checkpoint != null) {
      b = EncoderSpec.checkpoint(weights.checkpoint).config(architecture ? config() : null);
    } else {
      b = EncoderSpec.randomInit(config(), seed);
    }
    return b.pooling(p)
        .layer(layer == null ? 0 : layer)
        .l2Normalize(l2)
        .threads(threads)
        .precision(numbers)
        .build();
  }

  /**
   * The constant of {@code type} whose lower-case name is {@code value} (any case); otherwise an
   * error naming the option and listing the names, e.g. {@code --pooling must be cls, mean or
   * cls_mean, got 'max'}.
   */
  static <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
      names.add(e.name().toLowerCase(Locale.ROOT));
    }
    String last = names.remove(names.size() - 1);
    throw new IllegalArgumentException(
        option + " must be " + String.join(", ", names) + " or " + last + ", got '" + value + "'");
  }

  /** The preset with the overrides applied. */
  private SaimConfig config() {
    SaimConfig.Builder c = SaimConfig.preset(model == null ? "base" : model).toBuilder();
    if (dim != null) {
      c.width(dim);
    }
    if (depth != null) {
      c.depth(depth).queryDepth(depth);
    }
    if (heads != null) {
      c.heads(heads);
    }
    if (imgSize != null) {
      c.imageSize(imgSize);
    }
    if (patchSize != null) {
      c.patchSize(patchSize);
    }
    return c.build();
  }

  private Dataset<Row> paths(SparkSession spark) {
    try {
      return switch (inputFormat.toLowerCase(Locale.ROOT)) {
        case "images" -> {
          Dataset<Row> images = SaimSpark.listImages(spark, input);
          if (images.isEmpty()) {
            throw new IllegalArgumentException(input + ": no JPEG or PNG images found");
          }
          yield images;
        }
        case "parquet" -> spark.read().parquet(input);
        case "csv" -> spark.read().option("header", "true").csv(input);
        default ->
            throw new IllegalArgumentException(
                "--input-format must be images, parquet or csv, got '" + inputFormat + "'");
      };
    } catch (Exception e) {
      // Spark reports a missing path as an AnalysisException, which javac cannot see being thrown
      if (e instanceof AnalysisException a) {
        throw new IllegalArgumentException(input + ": " + a.getMessage(), a);
      }
      throw e;
    }
  }

  /**
   * Errors a user can fix (bad input, a bad image on an executor, a missing checkpoint) become one
   * line on stderr and exit code 2; anything else is a bug and keeps its stack trace.
   */
  private static int handle(Exception ex, CommandLine cl, CommandLine.ParseResult pr)
      throws Exception {
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof IllegalArgumentException
          || t instanceof UncheckedIOException
          || t instanceof AnalysisException) {
        String m = String.valueOf(t.getMessage());
        cl.getErr().println("saim-spark: error: " + m.lines().findFirst().orElse(m));
        return BAD_INPUT;
      }
    }
    throw ex;
  }

  /** The version of this jar, from its manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = EmbedJob.class.getPackage().getImplementationVersion();
      return new String[] {"saim-spark " + (v == null ? "(development build)" : v)};
    }
  }
}
