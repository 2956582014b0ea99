package io.github.saimjava.spark;

import io.github.saimjava.api.SaimEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The encoders of this JVM, one per {@link EncoderSpec}, loaded on first use and then shared by
 * every task (and so every partition) that runs here. Loading takes seconds and the weights may be
 * large, so a second task asking for the same spec while it loads waits for that load instead of
 * starting its own. A failed load leaves nothing behind: the next task tries again.
 *
 * <p>Sharing is safe because {@link SaimEncoder} is thread-safe: concurrent {@code embed} calls
 * each use their own native scratch memory and only read the weights.
 */
final class EncoderCache {
  private static final Logger LOG = LoggerFactory.getLogger(EncoderCache.class);
  private static final ConcurrentMap<EncoderSpec, Slot> SLOTS = new ConcurrentHashMap<>();
  private static final AtomicLong LOADS = new AtomicLong();

  private EncoderCache() {}

  /** An encoder, and whether this call loaded it. */
  record Lease(SaimEncoder encoder, boolean loaded) {}

  /** One spec's encoder; its monitor serialises the load. */
  private static final class Slot {
    private @Nullable SaimEncoder encoder;

    synchronized Lease get(EncoderSpec spec, Configuration hadoop) {
      if (encoder != null) {
        return new Lease(encoder, false);
      }
      try {
        Path local =
            spec.source() == EncoderSpec.Source.CHECKPOINT
                ? Checkpoints.local(spec.location().orElseThrow(), hadoop)
                : null;
        encoder = spec.encoderBuilder(local).build();
      } catch (IOException e) {
        throw new UncheckedIOException(spec + ": cannot load the encoder: " + e.getMessage(), e);
      }
      LOADS.incrementAndGet();
      LOG.info("loaded {} (dimension {}) in this JVM", spec, encoder.dimension());
      encoder.loadNotes().forEach(n -> LOG.info("{}: {}", spec.defaultModelName(), n));
      return new Lease(encoder, true);
    }

    synchronized @Nullable SaimEncoder take() {
      SaimEncoder e = encoder;
      encoder = null;
      return e;
    }
  }

  /** The encoder {@code spec} describes, loading it if this JVM has none yet. */
  static Lease acquire(EncoderSpec spec, Configuration hadoop) {
    return SLOTS.computeIfAbsent(spec, s -> new Slot()).get(spec, hadoop);
  }

  /** How many encoders this JVM has loaded so far. */
  static long loads() {
    return LOADS.get();
  }

  /** Closes every encoder of this JVM; returns how many. Only while no task uses them. */
  static int closeAll() {
    List<SaimEncoder> open = new ArrayList<>();
    for (EncoderSpec spec : List.copyOf(SLOTS.keySet())) {
      Slot slot = SLOTS.remove(spec);
      SaimEncoder e = slot == null ? null : slot.take();
      if (e != null) {
        open.add(e);
      }
    }
    open.forEach(SaimEncoder::close);
    return open.size();
  }
}
