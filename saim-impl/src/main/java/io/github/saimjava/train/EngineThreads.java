package io.github.saimjava.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fixes the PyTorch engine's thread counts. Results are bit-reproducible only for a fixed intra-op
 * thread count, and libtorch sizes its thread pool once: changing the count after the pool exists
 * is not always honoured (runs under load then differ in the last bits). So the count is given to
 * DJL as a system property before the engine loads, and set again afterwards.
 */
public final class EngineThreads {
  private static final Logger LOG = LoggerFactory.getLogger(EngineThreads.class);

  private EngineThreads() {}

  /** The PyTorch engine with {@code threads} intra-op threads and one inter-op thread. */
  public static Engine pytorch(int threads) {
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    Engine engine = Engine.getEngine("PyTorch");
    if (JniUtils.getNumThreads() != threads) {
      JniUtils.setNumThreads(threads);
      LOG.warn(
          "the engine was already running with other thread settings; results may not be "
              + "bit-reproducible across processes (set threads before the first engine use)");
    }
    return engine;
  }
}
