package io.github.saimjava.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A batch of sampled prediction orders and the attention masks they induce (SAIM section 2). Holds
 * native memory: close it, or the manager it was sampled on, when done.
 *
 * <p>Shapes: {@code N} images, {@code L} patches; mask index 0 is the class token and index {@code
 * k + 1} is patch {@code k} in row-major patch order.
 */
public final class Permutation implements AutoCloseable {
  private final NDManager manager;
  private final NDArray noise;
  private final NDArray order;
  private final NDArray contentMask;
  private final NDArray queryMask;

  Permutation(
      NDManager manager, NDArray noise, NDArray order, NDArray contentMask, NDArray queryMask) {
    this.manager = manager;
    this.noise = noise;
    this.order = order;
    this.contentMask = contentMask;
    this.queryMask = queryMask;
  }

  /**
   * {@return the noise {@code u}, {@code N x L} float32: patch {@code k} is predicted in ascending
   * {@code u_k}}
   */
  public NDArray noise() {
    return noise;
  }

  /**
   * {@return the prediction order, {@code N x L} int64: entry {@code [n, t]} is the patch predicted
   * {@code t}-th}
   */
  public NDArray order() {
    return order;
  }

  /**
   * The content-stream mask, {@code N x 1 x (L+1) x (L+1)} float32, 0 where attention is allowed
   * and {@code -inf} elsewhere: patch i sees patch j iff {@code u_j <= u_i}; every row sees the
   * class token; the class token sees only itself.
   *
   * @return the content-stream mask
   */
  public NDArray contentMask() {
    return contentMask;
  }

  /**
   * The query-stream mask, same shape and values as {@link #contentMask()} except that patch i sees
   * patch j iff {@code u_j < u_i} (strictly earlier: never itself).
   *
   * @return the query-stream mask
   */
  public NDArray queryMask() {
    return queryMask;
  }

  /** {@return the number of images in the batch, N} */
  public int batchSize() {
    return (int) noise.getShape().get(0);
  }

  /** {@return the number of patches per image, L} */
  public int numPatches() {
    return (int) noise.getShape().get(1);
  }

  /** Frees the native memory of all four arrays. */
  @Override
  public void close() {
    manager.close();
  }
}
