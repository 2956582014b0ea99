package io.github.saimjava.downstream;

import ai.djl.ndarray.types.Shape;
import io.github.saimjava.train.AdamW;
import java.util.Set;

/**
 * Fine-tuning's parameter groups, as the reference builds them (after BEiT): layer-wise
 * learning-rate decay and the no-weight-decay rule.
 *
 * <p>Layer ids of a ViT with {@code depth} blocks: {@code cls_token}, {@code pos_embed} and {@code
 * patch_embed.*} are layer 0, {@code blocks.i.*} layer {@code i + 1}, everything else ({@code
 * norm}, {@code fc_norm}, {@code head}) layer {@code depth + 1}. A parameter of layer {@code l} is
 * updated at {@code lr * decay^(depth + 1 - l)}, so the head gets the full rate and the patch
 * embedding the smallest. No weight decay for 1-D parameters (biases, LayerNorm weights) and the
 * class token and position table (the reference's {@code no_weight_decay()} set).
 *
 * @param depth encoder blocks
 * @param decay the per-layer factor (the paper: 0.65; the reference script's default: 0.75), in (0,
 *     1]
 */
public record LayerDecay(int depth, double decay) implements AdamW.Groups {
  /**
   * Parameters that never decay whatever their shape (the reference ViT's {@code
   * no_weight_decay()}).
   */
  public static final Set<String> NO_WEIGHT_DECAY = Set.of("cls_token", "pos_embed");

  /**
   * Checks the arguments.
   *
   * @throws IllegalArgumentException when depth is not positive or decay is outside (0, 1]
   */
  public LayerDecay {
    if (depth <= 0 || !(decay > 0 && decay <= 1)) {
      throw new IllegalArgumentException(
          "layer decay needs depth > 0 and a factor in (0, 1], got depth "
              + depth
              + ", layer decay "
              + decay);
    }
  }

  /** The layer id of parameter {@code name} (see the class description). */
  public int layerId(String name) {
    if (name.equals("cls_token") || name.equals("pos_embed") || name.startsWith("patch_embed")) {
      return 0;
    }
    if (name.startsWith("blocks.")) {
      int end = name.indexOf('.', 7);
      return Integer.parseInt(name.substring(7, end < 0 ? name.length() : end)) + 1;
    }
    return depth + 1;
  }

  @Override
  public double lrScale(String name) {
    return StrictMath.pow(decay, depth + 1 - layerId(name));
  }

  @Override
  public boolean decays(String name, Shape shape) {
    return shape.dimension() != 1 && !NO_WEIGHT_DECAY.contains(name);
  }
}
