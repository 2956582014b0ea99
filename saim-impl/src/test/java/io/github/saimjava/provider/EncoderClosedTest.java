package io.github.saimjava.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.repository.zoo.ZooModel;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimEncoder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An encoder used after close() says which object was closed, not DJL's bare "NDManager has been
 * closed".
 */
class EncoderClosedTest {
  static final String CLOSED =
      "this SaimEncoder (width 48, depth 2, 32 px) was closed: its weights are freed; "
          + "use it only inside its try-with-resources block (Kotlin: use {}), or build a new one";

  @Test
  void embeddingAfterCloseNamesTheEncoder() throws Exception {
    List<RawImage> images = SaimEncoderTest.images(2);
    SaimEncoder encoder = SaimEncoder.builder().config(SaimEncoderTest.TINY).threads(1).build();
    encoder.embed(images);
    encoder.close();
    encoder.close(); // harmless
    assertEquals(
        CLOSED,
        assertThrows(IllegalStateException.class, () -> encoder.embed(images)).getMessage());
    assertEquals(
        CLOSED,
        assertThrows(IllegalStateException.class, () -> encoder.embedEveryLayer(images))
            .getMessage());
    assertEquals(
        CLOSED,
        assertThrows(IllegalStateException.class, () -> encoder.embedFiles(List.of()))
            .getMessage());
    assertEquals(
        CLOSED, assertThrows(IllegalStateException.class, encoder::newPredictor).getMessage());
  }

  @Test
  void embeddingAfterItsZooModelIsClosedNamesTheEncoder() throws Exception {
    List<RawImage> images = SaimEncoderTest.images(1);
    SaimEncoder encoder = SaimEncoder.builder().config(SaimEncoderTest.TINY).threads(1).build();
    ZooModel<?, ?> model = encoder.toZooModel();
    model.close();
    assertEquals(
        CLOSED,
        assertThrows(IllegalStateException.class, () -> encoder.embed(images)).getMessage());
  }
}
