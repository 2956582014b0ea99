package io.github.saimjava.provider;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.Transforms;

/**
 * DJL translator from an {@link Image} to its SAIM feature vector: evaluation preprocessing (resize
 * to 256/224 of the input size, centre crop, ImageNet normalisation) in, pooled features
 * (optionally L2-normalised) out. Batches stack, so {@code batchPredict} works.
 */
final class EncoderTranslator implements Translator<Image, float[]> {
  private final DjlEncoder encoder;

  EncoderTranslator(DjlEncoder encoder) {
    this.encoder = encoder;
  }

  @Override
  public NDList processInput(TranslatorContext ctx, Image input) {
    encoder.ensureOpen();
    SaimConfig c = encoder.config();
    RawImage r = RawImage.of(input);
    float[] px = Transforms.centreCrop(DecodedImage.of(r), c.imageSize(), c.channels());
    return new NDList(
        ctx.getNDManager().create(px, new Shape(c.channels(), c.imageSize(), c.imageSize())));
  }

  @Override
  public float[] processOutput(TranslatorContext ctx, NDList list) {
    float[] v = list.singletonOrThrow().toFloatArray();
    if (encoder.l2Normalize()) {
      double n = 0;
      for (float f : v) {
        n += (double) f * f;
      }
      float inv = (float) (1 / Math.max(Math.sqrt(n), 1e-12));
      for (int i = 0; i < v.length; i++) {
        v[i] *= inv;
      }
    }
    return v;
  }
}
