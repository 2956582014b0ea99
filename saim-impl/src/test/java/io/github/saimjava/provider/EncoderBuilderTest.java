package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimEncoder;
import java.nio.file.Path;
import java.util.Collections;
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
  void anEncodersToBuilderBuildsTheSameEncoderAndVariesOnlyTheCopy() throws Exception {
    List<RawImage> imgs = SaimEncoderTest.images(3);
    try (SaimEncoder a =
            SaimEncoder.builder()
                .config(SaimEncoderTest.TINY)
                .seed(5)
                .pooling(SaimEncoder.Pooling.MEAN)
                .layer(1)
                .l2Normalize(true)
                .batchSize(2)
                .threads(1)
                .build();
        SaimEncoder same = a.toBuilder().build();
        SaimEncoder other = a.toBuilder().pooling(SaimEncoder.Pooling.CLS).layer(0).build()) {
      assertEquals(a.spec(), same.spec());
      assertEquals(2, same.batchSize());
      float[][] x = a.embed(imgs);
      float[][] y = same.embed(imgs);
      for (int i = 0; i < x.length; i++) {
        assertArrayEquals(x[i], y[i], 0f, "image " + i);
      }
      // the copy's changes stay in the copy
      assertEquals(SaimEncoder.Pooling.MEAN, a.spec().pooling());
      assertEquals(1, a.spec().layer());
      assertEquals(SaimEncoder.Pooling.CLS, other.spec().pooling());
      assertEquals(0, other.spec().layer());
      assertEquals(a.spec().seed(), other.spec().seed());
      assertArrayEquals(x[0], a.embed(imgs.get(0)), 0f);
    }
  }

  @Test
  void aClassifiersToBuilderBuildsTheSameClassifierAndVariesOnlyTheCopy() throws Exception {
    List<RawImage> imgs = SaimClassifierTest.images();
    try (SaimClassifier a =
            SaimClassifierTest.tiny("finetune").topK(3).batchSize(2).threads(1).build();
        SaimClassifier same = a.toBuilder().build();
        SaimClassifier named =
            a.toBuilder().topK(1).labels(Collections.nCopies(a.numClasses(), "a")).build()) {
      assertEquals(a.spec(), same.spec());
      assertEquals(a.labels(), same.labels());
      assertEquals(3, same.topK());
      assertEquals(2, same.batchSize());
      float[][] x = a.logits(imgs);
      float[][] y = same.logits(imgs);
      for (int i = 0; i < x.length; i++) {
        assertArrayEquals(x[i], y[i], 0f, "image " + i);
      }
      assertEquals(3, a.topK());
      assertEquals("class 0", a.labels().get(0));
      assertEquals(1, named.topK());
      assertEquals("a", named.labels().get(0));
      assertEquals(a.spec(), named.spec());
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
