package io.github.saimjava.zoo;

import ai.djl.Model;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.translate.Translator;
import ai.djl.util.PairList;
import io.github.saimjava.api.SaimEncoder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * Builds the encoder of a zoo artifact for DJL's model loader, as named by the {@code
 * serving.properties} that {@code djl://io.github.saimjava/NAME} materialises: keys {@code
 * saimArtifact} (the zoo name, whose registered architecture is used) and {@code saimWeights} (the
 * weights file in the model directory). The encoder is the one {@code SaimEncoder.builder()
 * .zoo(NAME)} builds, so both routes give the same vectors; it is closed with the DJL model.
 */
public final class SaimBlockFactory implements BlockFactory {
  private static final long serialVersionUID = 1L;

  /** Public for DJL, which instantiates the class named in {@code serving.properties}. */
  public SaimBlockFactory() {}

  /**
   * @throws IllegalArgumentException when the model is not on the PyTorch engine or the properties
   *     name an unknown artifact
   * @throws IOException when the weights cannot be read
   */
  @Override
  public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
    String engine = model.getNDManager().getEngine().getEngineName();
    if (!"PyTorch".equals(engine)) {
      throw new IllegalArgumentException(
          "saim-zoo models run on the PyTorch engine, not " + engine);
    }
    String name = argument(arguments, ZooRepository.ARTIFACT_KEY, modelPath);
    ZooArtifact artifact = SaimZoo.artifacts().get(name);
    if (artifact == null) {
      throw new IllegalArgumentException(
          modelPath.resolve("serving.properties")
              + ": unknown zoo model '"
              + name
              + "' (known: "
              + String.join(", ", SaimZoo.artifacts().keySet())
              + ")");
    }
    Path weights = modelPath.resolve(argument(arguments, ZooRepository.WEIGHTS_KEY, modelPath));
    if (!Files.isRegularFile(weights)) {
      throw new IOException(
          weights + " does not exist (named by " + modelPath.resolve("serving.properties") + ")");
    }
    SaimEncoder encoder =
        SaimEncoder.builder()
            .checkpoint(weights)
            .config(artifact.config())
            .pooling(SaimModelZoo.Loader.pooling(artifact))
            .build();
    // the encoder owns its own native memory; tie its life to the model DJL hands to the user
    model.getNDManager().attachInternal(UUID.randomUUID().toString(), encoder);
    return new EncoderBlock(encoder);
  }

  private static String argument(Map<String, ?> arguments, String key, Path modelPath) {
    Object v = arguments.get(key);
    if (v == null) {
      throw new IllegalArgumentException(
          modelPath.resolve("serving.properties") + " has no " + key);
    }
    return v.toString();
  }

  /**
   * The encoder as the block of a DJL model: images {@code B x C x S x S} in, vectors {@code B x D}
   * out.
   */
  static final class EncoderBlock extends AbstractBlock {
    private final ZooModel<Image, float[]> inner;

    EncoderBlock(SaimEncoder encoder) {
      super((byte) 1);
      this.inner = encoder.toZooModel();
    }

    /** The translator that goes with the encoder (preprocessing, pooling, optional L2). */
    Translator<Image, float[]> translator() {
      return inner.getTranslator();
    }

    @Override
    protected NDList forwardInternal(
        ParameterStore parameterStore,
        NDList inputs,
        boolean training,
        PairList<String, Object> params) {
      return inner.getBlock().forward(parameterStore, inputs, training, params);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
      return inner.getBlock().getOutputShapes(inputShapes);
    }
  }
}
