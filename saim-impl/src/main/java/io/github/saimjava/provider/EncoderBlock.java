package io.github.saimjava.provider;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The encoder as a DJL block, so DJL's {@code Model} and {@code Predictor} can run it. Input:
 * preprocessed images {@code B x C x S x S}; output: pooled features {@code B x D}.
 */
final class EncoderBlock extends AbstractBlock {
  private final DjlEncoder encoder;

  EncoderBlock(DjlEncoder encoder) {
    super((byte) 1);
    this.encoder = encoder;
  }

  @Override
  protected NDList forwardInternal(
      ParameterStore parameterStore,
      NDList inputs,
      boolean training,
      PairList<String, Object> params) {
    return new NDList(encoder.features(inputs.singletonOrThrow()));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {new Shape(inputShapes[0].get(0), encoder.dimension())};
  }
}
