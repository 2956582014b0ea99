package io.github.saimjava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SaimConfigTest {
  @Test
  void theFmnistSmallPresetIsTheReproductionsModel() {
    SaimConfig c = SaimConfig.fmnistSmall();
    assertEquals(32, c.imageSize());
    assertEquals(4, c.patchSize());
    assertEquals(64, c.numPatches());
    assertEquals(128, c.width());
    assertEquals(6, c.depth());
    assertEquals(4, c.heads());
    assertEquals(6, c.queryDepth());
    assertEquals(3, c.blurKernel());
    assertEquals(1.0, c.blurSigma(), 0);
    // the Kotlin-friendly overloads give the same values as the double forms
    assertEquals(c, c.toBuilder().blur(3, 1.0).mlpRatio(4.0).build());
    assertEquals(c, c.toBuilder().blur(3, 1).mlpRatio(4).build());
  }

  @Test
  void vitBaseIsThePapersRecipe() {
    SaimConfig c = SaimConfig.vitBase();
    assertEquals(224, c.imageSize());
    assertEquals(16, c.patchSize());
    assertEquals(768, c.width());
    assertEquals(12, c.depth());
    assertEquals(12, c.heads());
    assertEquals(12, c.queryDepth());
    assertEquals(HeadType.MLP, c.headType());
    assertEquals(LossType.L2, c.loss());
    assertEquals(9, c.blurKernel());
    assertEquals(1.0, c.blurSigma());
    assertEquals(true, c.normPixLoss());
    assertEquals(196, c.numPatches());
    assertEquals(768, c.patchDim());
    assertEquals(3072, c.mlpHidden());
  }

  @Test
  void presetsHaveTheirWidths() {
    assertEquals(192, SaimConfig.vitTiny().width());
    assertEquals(3, SaimConfig.vitTiny().heads());
    assertEquals(384, SaimConfig.vitSmall().width());
    assertEquals(6, SaimConfig.vitSmall().heads());
    assertEquals(1024, SaimConfig.vitLarge().width());
    assertEquals(24, SaimConfig.vitLarge().depth());
    assertEquals(2, SaimConfig.vitLarge().queryStep());
    assertEquals(SaimConfig.vitSmall(), SaimConfig.preset("small"));
  }

  @Test
  void toBuilderRoundTripsAndChangesOneValue() {
    SaimConfig c = SaimConfig.vitTiny().toBuilder().imageSize(32).patchSize(4).build();
    assertEquals(64, c.numPatches());
    assertEquals(c, c.toBuilder().build());
    assertEquals(c.hashCode(), c.toBuilder().build().hashCode());
    assertNotEquals(c, c.toBuilder().noBlur().build());
  }

  private static String error(SaimConfig.Builder b) {
    return assertThrows(IllegalArgumentException.class, b::build).getMessage();
  }

  @Test
  void invalidValuesAreNamedInTheMessage() {
    assertEquals(
        "query depth (5) must divide depth (12)", error(SaimConfig.builder().queryDepth(5)));
    assertEquals(
        "image size (225) must be divisible by patch size (16)",
        error(SaimConfig.builder().imageSize(225)));
    assertEquals(
        "width (776) must be divisible by heads (12)", error(SaimConfig.builder().width(776)));
    assertEquals(
        "width (35) must be even for the sin-cos position table",
        error(SaimConfig.builder().width(35).heads(5)));
    assertEquals("blur sigma (0.0) must be positive", error(SaimConfig.builder().blur(9, 0)));
    assertEquals(
        "drop-path rate (1.5) must be in [0, 1)", error(SaimConfig.builder().dropPathRate(1.5)));
    assertEquals("patch size (0) must be positive", error(SaimConfig.builder().patchSize(0)));
  }

  @Test
  void unknownPresetIsNamed() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SaimConfig.preset("huge"));
    assertEquals(
        "unknown model preset 'huge' (expected tiny, small, base or large)", e.getMessage());
  }
}
