package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimEncoder;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * Java snippets of the documentation pages (docs/*.md) that no other test holds, compiled and run
 * on the bundled zoo models (ReadmeSnippetsTest checks that the pages show these regions as they
 * are).
 */
class DocsSnippetsTest {
  private static final Path IMAGES = Path.of("src/it/consumer/images");
  // the bundled micro encoder's file, as a checkpoint of depth 6
  private static final Path MICRO =
      Path.of(
          "../saim-zoo/src/main/resources/io/github/saimjava/zoo/saim_vit_micro_patch4_32_fmnist.safetensors");

  @Test
  void zooByCriteriaAndByUrl() throws Exception {
    Image image = ImageFactory.getInstance().fromFile(IMAGES.resolve("0000-ankle-boot.png"));
    // README:zoo-criteria:start
    Criteria<Image, float[]> criteria =
        Criteria.builder()
            .setTypes(Image.class, float[].class)
            .optGroupId("io.github.saimjava")
            .optArtifactId("saim_vit_micro_patch4_32_fmnist")
            .build();
    try (ZooModel<Image, float[]> model = criteria.loadModel();
        Predictor<Image, float[]> predictor = model.newPredictor()) {
      float[] vector = predictor.predict(image);
      System.out.println("a vector of " + vector.length + " numbers");
    }
    // README:zoo-criteria:end
    // README:zoo-url:start
    Criteria<Image, float[]> byUrl =
        Criteria.builder()
            .setTypes(Image.class, float[].class)
            .optModelUrls("djl://io.github.saimjava/saim_vit_micro_patch4_32_fmnist")
            .build();
    // README:zoo-url:end
    try (ZooModel<Image, float[]> model = byUrl.loadModel();
        Predictor<Image, float[]> predictor = model.newPredictor()) {
      assertEquals(96, predictor.predict(image).length);
    }
  }

  @Test
  void layerAndPooling() throws Exception {
    Path weights = MICRO;
    List<RawImage> images =
        List.of(
            RawImage.of(ImageIO.read(IMAGES.resolve("0000-ankle-boot.png").toFile())),
            RawImage.of(ImageIO.read(IMAGES.resolve("0001-t-shirt.png").toFile())));
    // README:probe-layer:start
    try (SaimEncoder encoder =
        SaimEncoder.builder()
            .checkpoint(weights)
            .layer(4)
            .pooling(SaimEncoder.Pooling.MEAN)
            .build()) {
      float[][] block4 = encoder.embed(images);
      System.out.println(block4.length + " vectors of " + block4[0].length + " numbers");
    }
    // README:probe-layer:end
  }
}
