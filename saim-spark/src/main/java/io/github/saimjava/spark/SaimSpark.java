package io.github.saimjava.spark;

import io.github.saimjava.api.ImageFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.jspecify.annotations.Nullable;

/**
 * SAIM embeddings of image collections on Spark, for Spark code:
 *
 * <pre>{@code
 * Dataset<Row> paths = SaimSpark.listImages(spark, "hdfs:///data/images");
 * EncoderSpec spec = EncoderSpec.zoo("saim_vit_micro_patch4_32_fmnist").build();
 * Dataset<Row> vectors = SaimSpark.embed(paths, spec, 64);
 * vectors.write().parquet("hdfs:///data/vectors.parquet");
 * }</pre>
 *
 * <p>The result has the columns of {@link #SCHEMA}: {@code path} (as given), {@code vector} (the
 * image's embedding) and {@code model} (which encoder made it). Each executor JVM loads the encoder
 * once, on the first partition it embeds, and every later task and partition there reuses it;
 * several task threads share it at once (a {@code SaimEncoder} is thread-safe, each call using its
 * own native scratch memory).
 */
public final class SaimSpark {
  /** The columns of an embedding: path, vector, model. */
  public static final StructType SCHEMA =
      new StructType(
          new StructField[] {
            DataTypes.createStructField("path", DataTypes.StringType, false),
            DataTypes.createStructField(
                "vector", DataTypes.createArrayType(DataTypes.FloatType, false), false),
            DataTypes.createStructField("model", DataTypes.StringType, false),
          });

  /**
   * The image names of {@link ImageFiles#isImageName} (.jpg, .jpeg or .png in any case) as a Hadoop
   * glob, for Spark's {@code pathGlobFilter} option where a job lists files itself.
   */
  public static final String IMAGE_GLOB = "*.{[jJ][pP][gG],[jJ][pP][eE][gG],[pP][nN][gG]}";

  /** Largest batch size accepted. */
  public static final int MAX_BATCH_SIZE = 4096;

  private SaimSpark() {}

  /**
   * The images under {@code dir} at any depth, one row each with a {@code path} column (the file's
   * URI), listed on the driver by the rules {@code saim embed} reads a folder by ({@link
   * ImageFiles}): on a local file system by {@link ImageFiles#list} itself (links followed, a link
   * loop an error naming it, empty files kept so that they count as bad images); elsewhere (HDFS,
   * object stores, which have no followed links) by the same name rules over the file system's
   * recursive listing.
   *
   * @throws IllegalArgumentException when {@code dir} is not a folder, or naming a link loop
   * @throws java.io.UncheckedIOException when the folder cannot be listed
   */
  public static Dataset<Row> listImages(SparkSession spark, String dir) {
    List<String> paths = new ArrayList<>();
    try {
      org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(dir);
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      org.apache.hadoop.fs.Path qualified = fs.makeQualified(root);
      if ("file".equals(qualified.toUri().getScheme())) {
        for (java.nio.file.Path p : ImageFiles.list(java.nio.file.Path.of(qualified.toUri()))) {
          paths.add(new org.apache.hadoop.fs.Path(p.toUri()).toString());
        }
      } else {
        if (!fs.exists(qualified) || !fs.getFileStatus(qualified).isDirectory()) {
          throw new IllegalArgumentException(dir + ": no such folder of images");
        }
        String prefix = qualified.toUri().getPath();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(qualified, true);
        while (it.hasNext()) {
          org.apache.hadoop.fs.Path p = it.next().getPath();
          String rel = p.toUri().getPath().substring(prefix.length());
          boolean hidden = false;
          for (String part : rel.split("/")) {
            hidden |= ImageFiles.isHidden(part);
          }
          if (!hidden && ImageFiles.isImageName(p.getName())) {
            paths.add(p.toString());
          }
        }
        paths.sort(null);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": cannot be listed: " + e.getMessage(), e);
    }
    // as Spark's file sources pack small files (128 MB a partition, 4 MB of cost a file): 32 paths
    // a partition, and at least one per task thread, in listing order
    int slices = Math.max(spark.sparkContext().defaultParallelism(), (paths.size() + 31) / 32);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    return spark
        .createDataset(jsc.parallelize(paths, Math.max(1, slices)).rdd(), Encoders.STRING())
        .toDF("path");
  }

  /**
   * Embeds the images whose paths are the column "path" of {@code paths}, {@code batchSize} images
   * per forward pass; bad images fail the job with an error naming the file. Lazy, like any
   * transformation.
   */
  public static Dataset<Row> embed(Dataset<Row> paths, EncoderSpec spec, int batchSize) {
    return embedder(spec).batchSize(batchSize).embed(paths);
  }

  /** An embedding with more choices: the path column, the model name, skipping bad images. */
  public static Embedder embedder(EncoderSpec spec) {
    return new Embedder(spec);
  }

  /**
   * Closes the encoders this JVM has loaded and returns how many; the next task loads again. For
   * applications that run Spark in their own JVM (local mode) and want the native memory back; call
   * it only while no embedding job is running.
   */
  public static int closeEncoders() {
    return EncoderCache.closeAll();
  }

  /** An embedding of a table of paths, configured by chained setters. */
  public static final class Embedder {
    private final EncoderSpec spec;
    private String pathColumn = "path";
    private int batchSize = 32;
    private @Nullable String modelName;
    private @Nullable LongAccumulator skipped;
    private @Nullable LongAccumulator loads;

    private Embedder(EncoderSpec spec) {
      this.spec = Objects.requireNonNull(spec, "spec");
    }

    /** The column holding the paths (default {@code path}); its values are Hadoop paths or URIs. */
    public Embedder pathColumn(String v) {
      pathColumn = Objects.requireNonNull(v, "pathColumn");
      return this;
    }

    /** Images per forward pass (default 32); a task holds this many decoded images at once. */
    public Embedder batchSize(int v) {
      batchSize = v;
      return this;
    }

    /** The {@code model} column's value (default {@link EncoderSpec#defaultModelName()}). */
    public Embedder modelName(@Nullable String v) {
      modelName = v;
      return this;
    }

    /**
     * Skip images that are missing or cannot be decoded instead of failing, each logged with its
     * path and counted in {@code counter} (register it with {@code
     * sparkContext.longAccumulator(name)}). As for any accumulator updated in a transformation, a
     * retried task may count its images again. Read errors that may pass (an unreachable data node)
     * still fail the task, so Spark retries it.
     */
    public Embedder skipBadImages(LongAccumulator counter) {
      skipped = Objects.requireNonNull(counter, "counter");
      return this;
    }

    /**
     * Counts encoder loads in {@code counter}: one per executor JVM that embedded images, when
     * nothing was retried and no encoder of the same spec was loaded before in that JVM.
     */
    public Embedder countLoads(LongAccumulator counter) {
      loads = Objects.requireNonNull(counter, "counter");
      return this;
    }

    /**
     * The embeddings of the images that {@code paths} names (lazy); rows come in the order of the
     * paths within each partition.
     *
     * @throws IllegalArgumentException when the path column is missing or not a string, or the
     *     batch size is out of range
     */
    public Dataset<Row> embed(Dataset<Row> paths) {
      if (batchSize <= 0 || batchSize > MAX_BATCH_SIZE) {
        throw new IllegalArgumentException(
            "batch size (" + batchSize + ") must be in 1.." + MAX_BATCH_SIZE);
      }
      StructType schema = paths.schema();
      if (!Arrays.asList(schema.fieldNames()).contains(pathColumn)) {
        throw new IllegalArgumentException(
            "the input has no column '"
                + pathColumn
                + "' (columns: "
                + String.join(", ", schema.fieldNames())
                + ")");
      }
      StructField field = schema.apply(pathColumn);
      if (!field.dataType().equals(DataTypes.StringType)) {
        throw new IllegalArgumentException(
            "column '"
                + pathColumn
                + "' holds "
                + field.dataType().simpleString()
                + ", not the string paths of images");
      }
      SparkSession spark = paths.sparkSession();
      Broadcast<SerializableConfiguration> hadoop =
          JavaSparkContext.fromSparkContext(spark.sparkContext())
              .broadcast(new SerializableConfiguration(spark.sparkContext().hadoopConfiguration()));
      String model = modelName != null ? modelName : spec.defaultModelName();
      return paths
          .select(pathColumn)
          .mapPartitions(
              new EmbedPartition(spec, batchSize, model, hadoop, skipped, loads),
              Encoders.row(SCHEMA));
    }
  }
}
