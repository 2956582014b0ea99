package io.github.saimjava.api;

import ai.djl.Device;
import org.jspecify.annotations.Nullable;

/**
 * What {@link SaimLinearProbe.Spec} and {@link SaimAttentiveProbe.Spec} hold of {@link
 * ProbeBuilder}'s settings, read back by {@link ProbeBuilder#copy} for {@code toBuilder()}.
 */
interface ProbeSpec {
  int epochs();

  int batchSize();

  double weightDecay();

  double warmupEpochs();

  long seed();

  @Nullable Device device();
}
