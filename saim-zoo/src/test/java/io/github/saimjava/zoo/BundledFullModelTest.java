package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.BufferedImageFactory;
import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.github.saimjava.api.Permutation;
import io.github.saimjava.api.PermutationSampler;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.ImageDataset;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.LoadReport;
import io.github.saimjava.model.ModelCheckpoint;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.train.NoGrad;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled {@code saim_vit_mini_patch4_32_fmnist} holds the full pre-training weights (encoder,
 * query stream and head) of the fmnist-long run (benchmarks/fmnist-long.sh): they load without a
 * missing tensor, the query stream predicts held-out images as well as it did in training, and the
 * encoder loaders see exactly the encoder inside it.
 */
class BundledFullModelTest {
  static final String MINI = "saim_vit_mini_patch4_32_fmnist";

  private static Path weights(Path dir) throws Exception {
    return new SaimZoo(new ArtifactCache(dir.resolve("cache")))
        .weights(SaimZoo.artifacts().get(MINI));
  }

  @Test
  void theFileIsTheRegisteredArchitectureWithEveryPreTrainingTensor(@TempDir Path dir)
      throws Exception {
    ZooArtifact a = SaimZoo.artifacts().get(MINI);
    Path file = weights(dir);
    assertEquals(a.sha256(), ArtifactCache.sha256(file));
    ModelCheckpoint ckpt = ModelCheckpoint.read(file);
    // the registry and the file's metadata state the same architecture
    assertEquals(a.config(), ckpt.config());
    // 2 + 16 per block for 6 encoder and 6 query blocks, patch embedding 2, norm 2, MLP head 4,
    // blur 1
    assertEquals(203, ckpt.weights().size());
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(a.config(), m, 0)) {
      LoadReport r = model.load(ckpt.weights(), true);
      assertTrue(r.isClean(), r.toString());
    }
  }

  /**
   * Mean norm-pix L2 loss of {@code model} on the first 16 embedded test images, stochastic order
   * of seed 0.
   */
  private static double heldOutLoss(SaimModel model, NDManager m) {
    SaimConfig c = model.config();
    ImageDataset test = Datasets.embeddedTest();
    int n = 16;
    int per = c.channels() * c.imageSize() * c.imageSize();
    float[] px = new float[n * per];
    for (int i = 0; i < n; i++) {
      System.arraycopy(
          Transforms.centreCrop(test.image(i), c.imageSize(), c.channels()), 0, px, i * per, per);
    }
    NDArray x = m.create(px, new Shape(n, c.channels(), c.imageSize(), c.imageSize()));
    try (Permutation p =
        PermutationSampler.builder(c.numPatches()).stochastic(0).build().sample(m, n)) {
      return model.loss(model.forward(x, p, false).prediction(), model.target(x)).getFloat();
    }
  }

  @Test
  void itsQueryStreamPredictsHeldOutImagesAsInTrainingAndFarBetterThanRandomInit(@TempDir Path dir)
      throws Exception {
    ModelCheckpoint ckpt = ModelCheckpoint.read(weights(dir));
    SaimConfig c = SaimZoo.artifacts().get(MINI).config();
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        NoGrad ng = NoGrad.enter();
        SaimModel trained = new SaimModel(c, m, 0);
        SaimModel random = new SaimModel(c, m, 0)) {
      trained.load(ckpt.weights(), true);
      double lossTrained = heldOutLoss(trained, m);
      double lossRandom = heldOutLoss(random, m);
      // measured on this file: 0.1142 (the run's last training epoch: mean 0.1310 on training
      // images)
      assertEquals(0.1142, lossTrained, 0.02 * 0.1142);
      // the untrained query stream predicts nothing: about the target's variance per element
      assertTrue(
          lossRandom > 3 * lossTrained, "random init " + lossRandom + " vs trained " + lossTrained);
    }
  }

  @Test
  void theEncoderLoadersSeeTheEncoderAloneAsIfTheDecoderWereNotThere(@TempDir Path dir)
      throws Exception {
    System.setProperty("saim.cache.dir", dir.resolve("cache").toString());
    try {
      Path file = weights(dir);
      // the same file without the query stream, the head and the blur kernel
      Map<String, HostTensor> encoderOnly = new LinkedHashMap<>();
      ModelCheckpoint full = ModelCheckpoint.read(file);
      full.weights()
          .forEach(
              (k, v) -> {
                if (!k.startsWith("query_blocks.")
                    && !k.startsWith("prediction_head.")
                    && !k.startsWith("gaussian_blur.")) {
                  encoderOnly.put(k, v);
                }
              });
      assertEquals(102, encoderOnly.size());
      Path stripped = dir.resolve("encoder-only.safetensors");
      SafeTensors.write(stripped, encoderOnly, Map.of());
      RawImage picture = RawImage.of(SaimZooTest.picture());
      float[] byName;
      float[] reference;
      try (SaimEncoder e = SaimEncoder.builder().zoo(MINI).build()) {
        assertEquals(128, e.dimension());
        assertTrue(
            e.loadNotes()
                .contains("loaded but unused: the query decoder and prediction head (101 tensors)"),
            e.loadNotes().toString());
        byName = e.embed(picture);
      }
      try (SaimEncoder e =
          SaimEncoder.builder().checkpoint(stripped).config(full.config()).build()) {
        reference = e.embed(picture);
      }
      assertEquals(128, byName.length);
      assertArrayEquals(reference, byName, 0f);
      Criteria<Image, float[]> byUrl =
          Criteria.builder()
              .setTypes(Image.class, float[].class)
              .optModelUrls("djl://" + SaimZoo.GROUP_ID + "/" + MINI)
              .build();
      Criteria<Image, float[]> byId =
          Criteria.builder()
              .setTypes(Image.class, float[].class)
              .optGroupId(SaimZoo.GROUP_ID)
              .optArtifactId(MINI)
              .build();
      for (Criteria<Image, float[]> criteria : java.util.List.of(byUrl, byId)) {
        try (ZooModel<Image, float[]> model = criteria.loadModel();
            Predictor<Image, float[]> p = model.newPredictor()) {
          assertArrayEquals(
              reference,
              p.predict(BufferedImageFactory.getInstance().fromImage(SaimZooTest.picture())),
              1e-5f);
        }
      }
    } finally {
      System.clearProperty("saim.cache.dir");
    }
  }
}
