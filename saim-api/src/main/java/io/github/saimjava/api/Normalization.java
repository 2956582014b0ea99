package io.github.saimjava.api;

import java.util.List;

/**
 * The pixel normalisation the models of this project and the paper's are trained with: ImageNet's
 * channel means and standard deviations for pixels in [0, 1], as the reference's {@code Normalize}.
 * Their one home: the data pipeline, the ONNX export and the model zoo read them here.
 */
public final class Normalization {
  /** ImageNet's channel means (R, G, B). */
  public static final List<Float> IMAGENET_MEAN = List.of(0.485f, 0.456f, 0.406f);

  /** ImageNet's channel standard deviations (R, G, B). */
  public static final List<Float> IMAGENET_STD = List.of(0.229f, 0.224f, 0.225f);

  private Normalization() {}
}
