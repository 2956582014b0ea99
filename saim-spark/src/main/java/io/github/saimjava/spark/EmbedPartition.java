package io.github.saimjava.spark;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.data.ImageFolderDataset;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.util.LongAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds one partition of image paths (rows whose first column is the path) into rows of {@link
 * SaimSpark#SCHEMA}, a batch at a time: a batch's files are read through Hadoop's file systems,
 * decoded, and embedded in one forward pass by this JVM's shared encoder. Only one batch of decoded
 * images is held at a time, so a partition may be any size.
 */
final class EmbedPartition implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(EmbedPartition.class);

  /** Largest image file read, against files that are not images at all. */
  static final int MAX_FILE_BYTES = 1 << 29;

  private final EncoderSpec spec;
  private final int batchSize;
  private final String modelName;
  private final Broadcast<SerializableConfiguration> hadoop;
  private final @Nullable LongAccumulator skipped;
  private final @Nullable LongAccumulator loads;

  EmbedPartition(
      EncoderSpec spec,
      int batchSize,
      String modelName,
      Broadcast<SerializableConfiguration> hadoop,
      @Nullable LongAccumulator skipped,
      @Nullable LongAccumulator loads) {
    this.spec = spec;
    this.batchSize = batchSize;
    this.modelName = modelName;
    this.hadoop = hadoop;
    this.skipped = skipped;
    this.loads = loads;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> paths) {
    return new Batches(paths, hadoop.value().value());
  }

  /** The output rows, produced one batch ahead of the consumer. */
  private final class Batches implements Iterator<Row> {
    private final Iterator<Row> paths;
    private final Configuration conf;
    private final ArrayDeque<Row> ready = new ArrayDeque<>();
    private @Nullable SaimEncoder encoder;

    Batches(Iterator<Row> paths, Configuration conf) {
      this.paths = paths;
      this.conf = conf;
    }

    @Override
    public boolean hasNext() {
      while (ready.isEmpty() && paths.hasNext()) {
        nextBatch();
      }
      return !ready.isEmpty();
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return ready.poll();
    }

    private void nextBatch() {
      List<String> names = new ArrayList<>(batchSize);
      List<RawImage> images = new ArrayList<>(batchSize);
      while (images.size() < batchSize && paths.hasNext()) {
        Row row = paths.next();
        if (row.isNullAt(0)) {
          throw new IllegalArgumentException("an input row has a null path");
        }
        String path = row.getString(0);
        RawImage image = read(path);
        if (image != null) {
          names.add(path);
          images.add(image);
        }
      }
      if (images.isEmpty()) {
        return;
      }
      // an empty partition (or one of bad images only) never loads a model
      if (encoder == null) {
        EncoderCache.Lease lease = EncoderCache.acquire(spec, conf);
        if (lease.loaded() && loads != null) {
          loads.add(1);
        }
        encoder = lease.encoder();
      }
      float[][] vectors = encoder.embed(images);
      for (int i = 0; i < vectors.length; i++) {
        ready.add(RowFactory.create(names.get(i), vectors[i], modelName));
      }
    }

    /** The decoded image, or null when it is bad and bad images are skipped. */
    private @Nullable RawImage read(String path) {
      byte[] bytes;
      try {
        Path p = new Path(path);
        FileSystem fs = p.getFileSystem(conf);
        try (InputStream in = fs.open(p)) {
          bytes = in.readNBytes(MAX_FILE_BYTES + 1);
        }
      } catch (FileNotFoundException e) {
        return bad(path + ": no such file");
      } catch (IllegalArgumentException e) { // Hadoop's answer to a malformed path or URI
        return bad(path + ": not a valid path (" + e.getMessage() + ")");
      } catch (IOException e) {
        // possibly transient (a flaky data node): the task fails and Spark retries it
        throw new UncheckedIOException(path + ": cannot read (" + e + ")", e);
      }
      if (bytes.length > MAX_FILE_BYTES) {
        return bad(
            String.format(
                Locale.ROOT,
                "%s: larger than the %d bytes accepted for an image",
                path,
                MAX_FILE_BYTES));
      }
      try {
        return ImageFolderDataset.decode(bytes, path).toRawImage();
      } catch (IllegalArgumentException e) {
        return bad(e.getMessage());
      }
    }

    private @Nullable RawImage bad(@Nullable String message) {
      if (skipped == null) {
        throw new IllegalArgumentException(message);
      }
      skipped.add(1);
      LOG.warn("skipping a bad image: {}", message);
      return null;
    }
  }
}
