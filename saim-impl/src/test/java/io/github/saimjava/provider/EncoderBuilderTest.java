package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimEncoder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link SaimEncoder.Builder#build()} hands an immutable spec to the provider and leaves the
 * builder as it was.
 */
class EncoderBuilderTest {
  @Test
  void oneBuilderBuildsTwiceTheSameEncoder() throws Exception {
    SaimEncoder.Builder b = SaimEncoder.builder().config(SaimEncoderTest.TINY).seed(3).threads(1);
    List<RawImage> imgs = SaimEncoderTest.images(2);
    try (SaimEncoder first = b.build();
        SaimEncoder second = b.build()) {
      float[][] x = first.embed(imgs);
      float[][] y = second.embed(imgs);
      for (int i = 0; i < x.length; i++) {
        assertArrayEquals(x[i], y[i], 0f, "image " + i);
      }
    }
  }

  @Test
  void aZooNameWithAConfigIsRefusedByEveryBuilderBeforeAnyLookUp() {
    // no zoo is on saim-impl's class path: the pair is refused before the name is looked up
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimEncoder.builder().zoo("some_model").config(SaimEncoderTest.TINY).build());
    assertEquals(
        "a zoo model (some_model) brings its own architecture: give no config", e.getMessage());
    IllegalArgumentException c =
        assertThrows(
            IllegalArgumentException.class,
            () -> SaimClassifier.builder().zoo("some_model").config(SaimEncoderTest.TINY).build());
    assertEquals(e.getMessage(), c.getMessage());
    IllegalArgumentException both =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SaimEncoder.builder()
                    .zoo("some_model")
                    .checkpoint(Path.of("w.safetensors"))
                    .build());
    assertEquals(
        "zoo (some_model) and checkpoint (w.safetensors): give one of them, not both",
        both.getMessage());
  }
}
