package io.github.saimjava.spark;

import com.google.gson.JsonParser;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.api.spi.ZooResolver;
import io.github.saimjava.model.ReferenceConfig;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;

/**
 * Which encoder to load on the executors, as a small serialisable value: Spark ships it inside the
 * tasks, and every executor JVM builds one {@link SaimEncoder} per distinct spec (equal specs share
 * it). Start from {@link #checkpoint(String)}, {@link #zoo(String)} or {@link
 * #randomInit(SaimConfig, long)}.
 */
public final class EncoderSpec implements Serializable {
  // 2: the precision joined the fields
  private static final long serialVersionUID = 2L;

  /** Where the weights come from. */
  public enum Source {
    /** A weights file: ours ({@code .safetensors}) or a reference {@code .pth}. */
    CHECKPOINT,
    /** A pretrained model of saim-zoo, by name. */
    ZOO,
    /** A seeded random initialisation of a given architecture. */
    RANDOM_INIT
  }

  private final Source source;
  private final @Nullable String location;
  // SaimConfig is not Serializable: its JSON form (the one checkpoints carry) travels instead
  private final @Nullable String configJson;
  private final long seed;
  private final SaimEncoder.Pooling pooling;
  private final int layer;
  private final boolean l2Normalize;
  private final int threads;
  private final Precision precision;

  private EncoderSpec(Builder b) {
    source = b.source;
    location = b.location;
    configJson = b.config == null ? null : ReferenceConfig.toJson(b.config).toString();
    seed = b.seed;
    pooling = b.pooling;
    layer = b.layer;
    l2Normalize = b.l2Normalize;
    threads = b.threads;
    precision = b.precision;
  }

  /**
   * An encoder from a weights file. The location is read on each executor: a path on a file system
   * every executor mounts, a Hadoop URI ({@code hdfs://}, {@code s3a://}, ...), or the bare name of
   * a file shipped with {@code spark-submit --files}.
   */
  public static Builder checkpoint(String location) {
    Builder b = new Builder(Source.CHECKPOINT);
    b.location = Objects.requireNonNull(location, "location");
    return b;
  }

  /** A pretrained encoder of saim-zoo by name, e.g. {@code saim_vit_micro_patch4_32_fmnist}. */
  public static Builder zoo(String name) {
    Builder b = new Builder(Source.ZOO);
    b.location = Objects.requireNonNull(name, "name");
    return b;
  }

  /**
   * A randomly initialised encoder of architecture {@code config}, the same on every executor for a
   * seed.
   */
  public static Builder randomInit(SaimConfig config, long seed) {
    Builder b = new Builder(Source.RANDOM_INIT);
    b.config = Objects.requireNonNull(config, "config");
    b.seed = seed;
    return b;
  }

  /** Where the weights come from. */
  public Source source() {
    return source;
  }

  /** The checkpoint location or the zoo name; empty for a random initialisation. */
  public Optional<String> location() {
    return Optional.ofNullable(location);
  }

  /** The architecture given explicitly (random initialisation, or a checkpoint without one). */
  public Optional<SaimConfig> config() {
    return configJson == null
        ? Optional.empty()
        : Optional.of(
            ReferenceConfig.fromJson(JsonParser.parseString(configJson).getAsJsonObject()));
  }

  /** Seed of the random initialisation. */
  public long seed() {
    return seed;
  }

  /** How token features become one vector. */
  public SaimEncoder.Pooling pooling() {
    return pooling;
  }

  /** The block whose output is read (1-based), or 0 for the last block. */
  public int layer() {
    return layer;
  }

  /** Whether vectors are scaled to unit length. */
  public boolean l2Normalize() {
    return l2Normalize;
  }

  /** PyTorch intra-op threads per task thread. */
  public int threads() {
    return threads;
  }

  /** The number format of the encoder's matrix multiplies. */
  public Precision precision() {
    return precision;
  }

  /**
   * A short name for the output's {@code model} column: the zoo name, the checkpoint's file name,
   * or {@code random-init-seed-<seed>}.
   */
  public String defaultModelName() {
    return switch (source) {
      case ZOO -> Objects.requireNonNull(location);
      case CHECKPOINT -> {
        String l = Objects.requireNonNull(location);
        yield l.substring(l.lastIndexOf('/') + 1);
      }
      case RANDOM_INIT -> "random-init-seed-" + seed;
    };
  }

  /** The encoder builder for this spec, with the checkpoint already made a local file. */
  SaimEncoder.Builder encoderBuilder(@Nullable Path localCheckpoint) {
    SaimEncoder.Builder b =
        SaimEncoder.builder()
            .config(config().orElse(null))
            .seed(seed)
            .pooling(pooling)
            .layer(layer)
            .l2Normalize(l2Normalize)
            .threads(threads)
            .precision(precision)
            // the Spark side batches (SaimSpark's batch size): each call is one forward pass
            .batchSize(SaimSpark.MAX_BATCH_SIZE);
    if (source == Source.ZOO) {
      b.zoo(location);
    } else if (source == Source.CHECKPOINT) {
      b.checkpoint(Objects.requireNonNull(localCheckpoint, "local checkpoint"));
    }
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncoderSpec s
        && source == s.source
        && Objects.equals(location, s.location)
        && Objects.equals(configJson, s.configJson)
        && seed == s.seed
        && pooling == s.pooling
        && layer == s.layer
        && l2Normalize == s.l2Normalize
        && threads == s.threads
        && precision == s.precision;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        source, location, configJson, seed, pooling, layer, l2Normalize, threads, precision);
  }

  @Override
  public String toString() {
    String what =
        switch (source) {
          case CHECKPOINT -> "checkpoint " + location;
          case ZOO -> "zoo:" + location;
          case RANDOM_INIT -> "random-init seed " + seed;
        };
    return String.format(
        Locale.ROOT,
        "EncoderSpec[%s, pooling %s%s%s, %d thread(s)%s%s]",
        what,
        pooling.name().toLowerCase(Locale.ROOT),
        layer == 0 ? "" : ", block " + layer,
        l2Normalize ? ", l2" : "",
        threads,
        precision == Precision.FP32 ? "" : ", " + precision.name().toLowerCase(Locale.ROOT),
        configJson == null ? "" : ", " + configJson);
  }

  /** Builds an {@link EncoderSpec}; validation happens in {@link #build()}. */
  public static final class Builder {
    private final Source source;
    private @Nullable String location;
    private @Nullable SaimConfig config;
    private long seed;
    private SaimEncoder.Pooling pooling = SaimEncoder.Pooling.CLS;
    private int layer;
    private boolean l2Normalize;
    private int threads = 1;
    private Precision precision = Precision.FP32;

    private Builder(Source source) {
      this.source = source;
    }

    /**
     * The architecture, for a checkpoint that does not carry one (a reference {@code .pth}); a zoo
     * model always uses its own.
     */
    public Builder config(@Nullable SaimConfig v) {
      config = v;
      return this;
    }

    /** Class token (default), mean of the patch tokens, or both side by side. */
    public Builder pooling(SaimEncoder.Pooling v) {
      pooling = Objects.requireNonNull(v, "pooling");
      return this;
    }

    /**
     * Read the features after block {@code k} (1-based) as if the encoder ended there; 0 (the
     * default) reads the last block. A {@code k} beyond the encoder's depth fails when an executor
     * loads the encoder.
     */
    public Builder layer(int k) {
      layer = k;
      return this;
    }

    /** Scale each vector to unit length. */
    public Builder l2Normalize(boolean v) {
      l2Normalize = v;
      return this;
    }

    /**
     * PyTorch intra-op threads per task thread (default 1): an executor already runs one task per
     * core, so more only helps when {@code spark.task.cpus} gives each task several cores.
     */
    public Builder threads(int v) {
      threads = v;
      return this;
    }

    /**
     * The number format of the encoder's matrix multiplies (default {@link Precision#FP32}); see
     * {@link SaimEncoder.Builder#precision}: bfloat16 is faster on CPUs with AVX-512 BF16 or AMX,
     * and its vectors differ from float32's by up to about 1e-2 of their length.
     */
    public Builder precision(Precision v) {
      precision = Objects.requireNonNull(v, "precision");
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the value at fault
     */
    public EncoderSpec build() {
      if (threads <= 0) {
        throw new IllegalArgumentException("threads (" + threads + ") must be positive");
      }
      if (layer < 0) {
        throw new IllegalArgumentException(
            "layer (" + layer + ") must be 0 (the last block) or a block, 1 or more");
      }
      if (source == Source.ZOO && config != null) {
        throw new IllegalArgumentException(
            "a zoo model (" + location + ") brings its own architecture: give no config");
      }
      if (location != null && location.isBlank()) {
        throw new IllegalArgumentException(
            "the " + (source == Source.ZOO ? "zoo name" : "checkpoint location") + " is empty");
      }
      if (source == Source.ZOO) {
        checkZooName(Objects.requireNonNull(location));
      }
      return new EncoderSpec(this);
    }

    /** Fails on the driver, before any task runs, for a name no zoo on the class path knows. */
    private static void checkZooName(String name) {
      List<String> known = new ArrayList<>();
      for (ZooResolver r : ServiceLoader.load(ZooResolver.class)) {
        known.addAll(r.names());
      }
      if (!known.contains(name)) {
        throw new IllegalArgumentException(
            known.isEmpty()
                ? "no model zoo on the class path: add io.github.saimjava:saim-zoo to use zoo model"
                    + " "
                    + name
                : "unknown zoo model '" + name + "' (known: " + String.join(", ", known) + ")");
      }
    }
  }
}
