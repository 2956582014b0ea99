package io.github.saimjava.zoo;

import ai.djl.Model;
import ai.djl.modality.cv.Image;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.Set;

/**
 * The translator of a saim-zoo encoder loaded from a {@code djl://} URL ({@code Image} to
 * {@code float[]}: the encoder's evaluation preprocessing and pooled features); DJL finds it by
 * the class name the URL's repository gives.
 */
public final class SaimTranslatorFactory implements TranslatorFactory {
  /** Public for DJL, which instantiates it by name. */
  public SaimTranslatorFactory() {}

  @Override
  public Set<Pair<Type, Type>> getSupportedTypes() {
    return Set.of(new Pair<>(Image.class, float[].class));
  }

  @Override
  @SuppressWarnings("unchecked")
  public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model,
      Map<String, ?> arguments) throws TranslateException {
    if (input != Image.class || output != float[].class) {
      throw new TranslateException("a saim-zoo encoder maps Image to float[], not "
          + input.getSimpleName() + " to " + output.getSimpleName());
    }
    if (!(model.getBlock() instanceof SaimBlockFactory.EncoderBlock)) {
      throw new TranslateException("model " + model.getName() + " was not built by "
          + SaimBlockFactory.class.getSimpleName());
    }
    SaimBlockFactory.EncoderBlock block = (SaimBlockFactory.EncoderBlock) model.getBlock();
    return (Translator<I, O>) (Translator<?, ?>) block.inner().getTranslator();
  }
}
