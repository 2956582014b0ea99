package io.github.saimjava.spark;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The Java snippet of docs/scaling-out.md, compiled with the tests (ReadmeSnippetsTest checks that
 * the page shows this region as it is). Not run: it reads HDFS; {@code SaimSparkTest} runs the same
 * calls on local files.
 */
final class SparkDocsSnippets {
  private SparkDocsSnippets() {}

  static void embedOnSpark(SparkSession spark) {
    // README:spark-embed:start
    // or any Dataset with a string "path" column
    Dataset<Row> paths = SaimSpark.listImages(spark, "hdfs:///data/images");
    // or EncoderSpec.checkpoint(uri), EncoderSpec.randomInit(config, seed)
    EncoderSpec spec = EncoderSpec.zoo("saim_vit_micro_patch4_32_fmnist").build();
    Dataset<Row> vectors = SaimSpark.embed(paths, spec, 64); // lazy; columns path, vector, model
    vectors.write().parquet("hdfs:///data/vectors.parquet");
    // more choices: SaimSpark.embedder(spec).pathColumn("file").modelName("v1")
    //     .skipBadImages(accumulator).embed(paths)
    // README:spark-embed:end
  }
}
