package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.HeadType;
import io.github.saimjava.api.LossType;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** One training step matches the reference implementation, for every option of the method. */
class ReferenceCheckTest {
  static Path fixture(String name) throws URISyntaxException {
    return Path.of(ReferenceCheckTest.class.getResource("/fixtures/" + name).toURI());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "reference-tiny-mlp-blur.safetensors",
        "reference-tiny-linear-l1.safetensors",
        "reference-tiny-shared.safetensors",
        "reference-tiny-noblur-nonorm.safetensors",
        "reference-tiny-blur9-qd1.safetensors",
        "reference-tiny-sigma-float.safetensors"
      })
  void everyQuantityIsWithinTolerance(String name) throws Exception {
    ReferenceCheck.Report r = ReferenceCheck.run(fixture(name));
    r.quantities()
        .forEach(q -> System.out.printf("%s %-60s %.3e%n", name, q.name(), q.relativeError()));
    assertTrue(r.passed(), name + ": max relative error " + r.maxRelativeError() + " > 1e-5");
    // the forward pass is far tighter than the tolerance
    for (ReferenceCheck.Quantity q : r.quantities()) {
      if (!q.name().startsWith("worst")) {
        assertTrue(q.relativeError() < 2e-6, name + " " + q.name() + " " + q.relativeError());
      }
    }
  }

  @Test
  void configurationIsReadFromTheMetadata() throws Exception {
    ReferenceCheck.Report r = ReferenceCheck.run(fixture("reference-tiny-sigma-float.safetensors"));
    assertEquals(HeadType.LINEAR, r.config().headType());
    assertEquals(7, r.config().blurKernel());
    assertEquals(1.5, r.config().blurSigma());
    assertEquals(64, r.config().numPatches());
    ReferenceCheck.Report s =
        ReferenceCheck.run(fixture("reference-tiny-noblur-nonorm.safetensors"));
    assertEquals(false, s.config().blurred());
    assertEquals(false, s.config().normPixLoss());
    assertEquals(LossType.L2, s.config().loss());
    assertTrue(
        ReferenceCheck.run(fixture("reference-tiny-shared.safetensors")).config().shareWeight());
  }

  @Test
  void keyBiasGradientsAreRecognisedAsRoundingNoise() throws Exception {
    ReferenceCheck.Report r = ReferenceCheck.run(fixture("reference-tiny-mlp-blur.safetensors"));
    assertEquals(6, r.noiseGradients().size());
    assertTrue(
        r.noiseGradients().stream().allMatch(n -> n.endsWith("attn.k.bias")),
        r.noiseGradients().toString());
  }
}
