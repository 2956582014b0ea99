package com.example;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.github.saimjava.api.SaimEncoder;
import java.nio.file.Path;
import java.util.List;

/** Pretrained encoders of the zoo (saim-zoo at run time): by name, and through DJL's Criteria. */
public class ZooEncoders {
  public static void main(String[] args) throws Exception {
    Image image = ImageFactory.getInstance().fromFile(Path.of("images/0000-ankle-boot.png"));

    try (SaimEncoder encoder =
        SaimEncoder.builder().zoo("saim_vit_mini_patch4_32_fmnist").build()) {
      System.out.println(
          "zoo: a vector of " + encoder.embedImages(List.of(image))[0].length + " numbers");
    }

    Criteria<Image, float[]> criteria =
        Criteria.builder()
            .setTypes(Image.class, float[].class)
            .optGroupId("io.github.saimjava")
            .optArtifactId("saim_vit_micro_patch4_32_fmnist")
            .build();
    try (ZooModel<Image, float[]> model = criteria.loadModel();
        Predictor<Image, float[]> predictor = model.newPredictor()) {
      System.out.println("Criteria: a vector of " + predictor.predict(image).length + " numbers");
    }
  }
}
