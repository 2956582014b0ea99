package io.github.saimjava.api;

import ai.djl.Device;
import org.jspecify.annotations.Nullable;

/**
 * The settings the two trained probes ({@link SaimLinearProbe.Builder} and {@link
 * SaimAttentiveProbe.Builder}) share, set the same way on both: those of {@link FitBuilder} (epochs
 * 90 and a batch of 256 on both) and the warm-up and the device. Each probe checks them in its
 * {@code Spec}, with messages naming the setting and its value; the base learning rate is each
 * probe's own ({@code blr}, and the linear probe's sweep).
 *
 * @param <B> the builder, which every setter returns
 */
public abstract class ProbeBuilder<B extends ProbeBuilder<B>> extends FitBuilder<B> {
  double warmupEpochs;
  @Nullable Device device;

  ProbeBuilder(double weightDecay) {
    super(90, 256, weightDecay);
  }

  /**
   * The epochs of linear learning-rate warm-up (default 0, as SAIM.md).
   *
   * @param v the value, checked by {@code build()}
   * @return this builder
   */
  public B warmupEpochs(double v) {
    warmupEpochs = v;
    return self();
  }

  /**
   * Where the probe computes, as {@code Device.cpu()} or {@code Device.gpu(0)}; null (the default)
   * for the probe's default. The attentive probe runs on the engine and takes any device it has (a
   * GPU by default when the engine has one; the tokens stay on the host and each batch is copied to
   * the device; a device the engine does not have is refused when the probe runs, naming it). The
   * linear probe is double-precision Java over features held in memory, so it computes on the host:
   * it takes the CPU only, and {@code build()} refuses any other device, naming it; put the encoder
   * on a GPU instead ({@link SaimEncoder.Builder#device}): extracting the features is the costly
   * part.
   *
   * @param v the device, or null
   * @return this builder
   */
  public B device(@Nullable Device v) {
    device = v;
    return self();
  }

  /**
   * Takes over what {@code toBuilder()} copies of the shared settings.
   *
   * @param s the settings of a built probe
   */
  void copy(ProbeSpec s) {
    epochs = s.epochs();
    batchSize = s.batchSize();
    weightDecay = s.weightDecay();
    warmupEpochs = s.warmupEpochs();
    seed = s.seed();
    device = s.device();
  }
}
