package io.github.saimjava.zoo;

import ai.djl.Model;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.github.saimjava.api.SaimEncoder;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Builds the encoder of a saim-zoo artifact for a DJL model loaded from a {@code djl://} URL (see
 * {@link DjlUrlRepositoryFactory}); DJL finds it by the class name the URL's repository gives. The
 * encoder's native memory belongs to the DJL model: closing the model frees it.
 */
public final class SaimBlockFactory implements BlockFactory {
  private static final long serialVersionUID = 1L;

  /** The argument naming the zoo artifact. */
  static final String ARTIFACT = "saimArtifact";

  /** Public for DJL, which instantiates it by name. */
  public SaimBlockFactory() {}

  @Override
  public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
    Object name = arguments.get(ARTIFACT);
    if (name == null) {
      throw new IllegalArgumentException("no '" + ARTIFACT + "' argument for the saim-zoo block in " + modelPath);
    }
    SaimEncoder.Builder b = SaimEncoder.builder().zoo(name.toString());
    Object pooling = arguments.get("pooling");
    if (pooling != null) {
      b.pooling(pooling(pooling.toString(), name.toString()));
    }
    Object l2 = arguments.get("l2");
    if (l2 != null) {
      b.l2Normalize(bool(l2.toString(), name.toString()));
    }
    Object threads = arguments.get("threads");
    if (threads != null) {
      b.threads(threads(threads.toString(), name.toString()));
    }
    SaimEncoder encoder = b.build();
    model.getNDManager().attachInternal("saim-encoder-" + UUID.randomUUID(), encoder);
    return new EncoderBlock(encoder);
  }

  /** Checks URL options early, so a bad one fails when the criteria is built. */
  static void checkOptions(Map<String, String> options, String where) {
    String p = options.get("pooling");
    if (p != null) {
      pooling(p, where);
    }
    String l2 = options.get("l2");
    if (l2 != null) {
      bool(l2, where);
    }
    String t = options.get("threads");
    if (t != null) {
      threads(t, where);
    }
  }

  private static SaimEncoder.Pooling pooling(String v, String where) {
    switch (v) {
      case "cls":
        return SaimEncoder.Pooling.CLS;
      case "mean":
        return SaimEncoder.Pooling.MEAN;
      default:
        throw new IllegalArgumentException("pooling '" + v + "' in " + where + " must be cls or mean");
    }
  }

  private static boolean bool(String v, String where) {
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException("l2 '" + v + "' in " + where + " must be true or false");
    }
    return Boolean.parseBoolean(v);
  }

  private static int threads(String v, String where) {
    try {
      int n = Integer.parseInt(v);
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("threads '" + v + "' in " + where + " must be a whole number >= 0");
  }

  /**
   * The encoder as the DJL model's block. Input: preprocessed images {@code B x C x S x S};
   * output: pooled features {@code B x D}.
   */
  static final class EncoderBlock extends AbstractBlock {
    private final ZooModel<ai.djl.modality.cv.Image, float[]> inner;

    EncoderBlock(SaimEncoder encoder) {
      super((byte) 1);
      this.inner = encoder.toZooModel();
    }

    ZooModel<ai.djl.modality.cv.Image, float[]> inner() {
      return inner;
    }

    @Override
    protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs, boolean training,
        @Nullable PairList<String, Object> params) {
      return inner.getBlock().forward(parameterStore, inputs, training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return inner.getBlock().getOutputShapes(inputShapes);
    }
  }
}
