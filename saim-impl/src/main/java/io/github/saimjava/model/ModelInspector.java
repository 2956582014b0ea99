package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.SaimConfig;
import java.util.List;

/**
 * What a SAIM model sees and predicts, as host arrays for pictures: the images, the pixel target,
 * the query stream's prediction brought back to pixel space, and the attention probabilities of the
 * last encoder block without masks. Frees every intermediate; callers that hold trainable
 * parameters run it inside {@code NoGrad} so no graph is recorded.
 */
public final class ModelInspector {
  private ModelInspector() {}

  /**
   * One batch's reconstruction, every array {@code N x C x H x W} flattened row-major.
   *
   * @param original the model's input images (normalised as the model was trained)
   * @param target the target: blurred, and normalised per patch when the model uses norm-pix loss
   * @param prediction the query stream's prediction of each patch, de-normalised with the target
   *     patch's mean and variance: {@code pred * sqrt(var + eps) + mean} (so in the input's space)
   * @param patchMean mean of each blurred patch, {@code N x L} (zeros without norm-pix loss)
   * @param patchVar unbiased variance of each blurred patch, {@code N x L} (ones without norm-pix)
   * @param order the prediction order of each image, {@code N x L}: {@code order[n][s]} is the
   *     patch predicted at step {@code s}
   */
  public record Reconstruction(
      float[] original,
      float[] target,
      float[] prediction,
      float[] patchMean,
      float[] patchVar,
      long[][] order) {}

  /**
   * Runs {@code model} on {@code images} ({@code N x C x H x W}) under {@code permutation} and
   * returns the original, the target and the de-normalised prediction.
   */
  public static Reconstruction reconstruct(
      SaimModel model, NDArray images, Permutation permutation) {
    SaimConfig c = model.config();
    try (NDScope scope = new NDScope()) {
      SaimModel.LossPass pass = model.forwardLoss(images, permutation, false);
      NDArray pred = pass.output().prediction().get(":, 1:, :"); // N x L x P
      NDArray blurred = model.blurredPatches(images); // N x L x P
      NDArray target = pass.target();
      NDArray mean;
      NDArray var;
      NDArray denorm;
      if (c.normPixLoss()) {
        mean = blurred.mean(new int[] {-1}, true);
        var = Scalars.div(blurred.sub(mean).square().sum(new int[] {-1}, true), c.patchDim() - 1);
        denorm = pred.mul(var.add(Scalars.of(var, SaimModel.NORM_PIX_EPS)).sqrt()).add(mean);
      } else {
        mean = blurred.zerosLike().get(":, :, :1");
        var = mean.onesLike();
        denorm = pred;
      }
      long n = images.getShape().get(0);
      long[][] order = new long[(int) n][];
      for (int i = 0; i < n; i++) {
        order[i] = permutation.order().get(i).toLongArray();
      }
      return new Reconstruction(
          images.toFloatArray(),
          model.unpatchify(target).toFloatArray(),
          model.unpatchify(denorm).toFloatArray(),
          mean.toFloatArray(),
          var.toFloatArray(),
          order);
    }
  }

  /**
   * Attention probabilities of the last encoder block, the encoder run without masks: {@code N x H
   * x (L+1) x (L+1)} (row = query token, column = key token, token 0 = class token), attached to
   * {@code images}' manager. Recomputed from that block's {@code norm1}, {@code q} and {@code k}
   * exactly as its attention computes its logits.
   */
  public static NDArray lastLayerAttention(SaimModel model, NDArray images) {
    try (NDScope scope = new NDScope()) {
      NDArray p = lastLayerInputs(model, images).probabilities;
      NDScope.unregister(p);
      p.attach(images.getManager());
      return p;
    }
  }

  /** The last block's normalised input and its attention probabilities. */
  record LastLayer(Block block, NDArray normalised, NDArray probabilities) {}

  static LastLayer lastLayerInputs(SaimModel model, NDArray images) {
    SaimConfig c = model.config();
    List<Block> blocks = model.encoderBlocks();
    NDArray h = model.embed(images); // N x (L+1) x D
    for (int i = 0; i < blocks.size() - 1; i++) {
      h = blocks.get(i).forward(h, null, false);
    }
    Block last = blocks.get(blocks.size() - 1);
    NDArray x = last.norm1.forward(h);
    NDArray q = splitHeads(last.attn.q.forward(x), c.heads()); // N x H x T x d
    NDArray k = splitHeads(last.attn.k.forward(x), c.heads());
    // the same float scale Attention uses
    float scale = (float) StrictMath.pow(c.width() / c.heads(), -0.5);
    NDArray probs = Scalars.mul(q.matMul(k.transpose(0, 1, 3, 2)), scale).softmax(-1);
    return new LastLayer(last, x, probs);
  }

  /** B x T x D -> B x H x T x D/H. */
  static NDArray splitHeads(NDArray x, int heads) {
    long b = x.getShape().get(0);
    long t = x.getShape().get(1);
    return x.reshape(b, t, heads, -1).transpose(0, 2, 1, 3);
  }
}
