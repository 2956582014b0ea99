package io.github.saimjava.zoo;

import ai.djl.Model;
import ai.djl.modality.cv.Image;
import ai.djl.nn.Block;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Set;

/**
 * The translator from {@link Image} to feature vector for a model whose block {@link
 * SaimBlockFactory} built: the encoder's own evaluation preprocessing and pooling, so the {@code
 * djl://} route and {@code SaimEncoder} agree.
 */
public final class SaimTranslatorFactory implements TranslatorFactory {
  /** Public for DJL, which instantiates the class named in {@code serving.properties}. */
  public SaimTranslatorFactory() {}

  @Override
  public Set<Pair<Type, Type>> getSupportedTypes() {
    return Set.of(new Pair<>(Image.class, float[].class));
  }

  /**
   * @throws TranslateException when the types are not Image to float[] or the block is not a
   *     saim-zoo encoder
   */
  @Override
  @SuppressWarnings("unchecked")
  public <I, O> Translator<I, O> newInstance(
      Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
      throws TranslateException {
    if (input != Image.class || output != float[].class) {
      throw new TranslateException(
          "saim-zoo models map Image to float[], not "
              + input.getSimpleName()
              + " to "
              + output.getSimpleName());
    }
    Block block = model.getBlock();
    if (!(block instanceof SaimBlockFactory.EncoderBlock encoder)) {
      throw new TranslateException(
          "model "
              + model.getName()
              + " was not built by "
              + SaimBlockFactory.class.getName()
              + " (its block is "
              + block
              + ")");
    }
    return (Translator<I, O>) encoder.translator();
  }
}
