package io.github.saimjava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The settings the two trained probes share are set, defaulted and checked the same way. */
class ProbeBuilderTest {
  static <B extends ProbeBuilder<B>> B shared(B b) {
    return b.epochs(7)
        .batchSize(32)
        .weightDecay(0.2)
        .warmupEpochs(1.5)
        .seed(11)
        .device(Device.cpu());
  }

  @Test
  void bothProbesTakeTheSharedSettingsAlike() {
    SaimLinearProbe.Spec l = shared(SaimLinearProbe.builder()).build().spec();
    SaimAttentiveProbe.Spec a = shared(SaimAttentiveProbe.builder()).build().spec();
    assertEquals(
        new SaimLinearProbe.Spec(7, 32, java.util.List.of(0.1), 0.2, 1.5, 11, 0.1, Device.cpu()),
        l);
    assertEquals(new SaimAttentiveProbe.Spec(7, 32, 1e-3, 0.2, 1.5, 0, 1, 8, 11, Device.cpu()), a);
  }

  @Test
  void eachProbeKeepsItsOwnDefaults() {
    SaimLinearProbe.Spec l = SaimLinearProbe.builder().build().spec();
    SaimAttentiveProbe.Spec a = SaimAttentiveProbe.builder().build().spec();
    assertEquals(90, l.epochs());
    assertEquals(90, a.epochs());
    assertEquals(256, l.batchSize());
    assertEquals(256, a.batchSize());
    // LARS without decay (the paper's linear probe); AdamW's 0.05 for the attentive probe
    assertEquals(0.0, l.weightDecay());
    assertEquals(0.05, a.weightDecay());
    assertEquals(0.0, l.warmupEpochs());
    assertEquals(0.0, a.warmupEpochs());
    assertEquals(0, l.seed());
    assertEquals(null, l.device());
    assertEquals(null, a.device());
  }

  @Test
  void bothProbesNameTheSharedSettingAndItsValue() {
    assertEquals("epochs (0) must be positive", messages(b -> b.epochs(0)));
    assertEquals("batchSize (-2) must be positive", messages(b -> b.batchSize(-2)));
    assertEquals("weightDecay (-0.5) must be non-negative", messages(b -> b.weightDecay(-0.5)));
    assertEquals("warmupEpochs (-1.0) must be non-negative", messages(b -> b.warmupEpochs(-1)));
  }

  /** The linear probe's message for a setting, after checking the attentive probe's is the same. */
  private static String messages(Function<ProbeBuilder<?>, ProbeBuilder<?>> set) {
    String linear =
        assertThrows(
                IllegalArgumentException.class,
                () -> ((SaimLinearProbe.Builder) set.apply(SaimLinearProbe.builder())).build())
            .getMessage();
    String attentive =
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    ((SaimAttentiveProbe.Builder) set.apply(SaimAttentiveProbe.builder())).build())
            .getMessage();
    assertEquals(linear, attentive);
    return linear;
  }
}
