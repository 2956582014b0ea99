package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.BufferedImageFactory;
import ai.djl.modality.cv.Image;
import ai.djl.repository.MRL;
import ai.djl.repository.RemoteRepository;
import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimEncoder;
import java.awt.image.BufferedImage;
import java.lang.reflect.Constructor;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** djl:// URLs: saim-zoo artifacts load offline; other groups' URLs still point at DJL's hub. */
class DjlUrlTest {
  static final String MICRO = "saim_vit_micro_patch4_32_fmnist";

  @TempDir Path cache;

  @BeforeEach
  void useTempCache() {
    System.setProperty("saim.cache.dir", cache.toString());
  }

  @AfterEach
  void clearCache() {
    System.clearProperty("saim.cache.dir");
  }

  static BufferedImage picture(int seed) {
    BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        int v = (x * 7 + y * 3 * seed + seed * 31) % 256;
        b.setRGB(x, y, v << 16 | v << 8 | v);
      }
    }
    return b;
  }

  static float[][] viaUrl(String url, List<BufferedImage> images) throws Exception {
    Criteria<Image, float[]> criteria = Criteria.builder().setTypes(Image.class, float[].class)
        .optModelUrls(url).build();
    try (ZooModel<Image, float[]> model = criteria.loadModel();
        Predictor<Image, float[]> p = model.newPredictor()) {
      float[][] out = new float[images.size()][];
      for (int i = 0; i < out.length; i++) {
        out[i] = p.predict(BufferedImageFactory.getInstance().fromImage(images.get(i)));
      }
      return out;
    }
  }

  static void assertClose(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length);
    double num = 0;
    double den = 0;
    for (int i = 0; i < expected.length; i++) {
      num += Math.pow(expected[i] - actual[i], 2);
      den += Math.pow(expected[i], 2);
    }
    assertTrue(Math.sqrt(num / den) < 1e-6, "relative error " + Math.sqrt(num / den));
  }

  @Test
  void aDjlUrlLoadsTheBundledEncoderOfflineWithTheSameEmbeddingsAsTheBuilder() throws Exception {
    List<BufferedImage> images = List.of(picture(1), picture(2), picture(3));
    float[][] url = viaUrl("djl://" + SaimZoo.GROUP_ID + "/" + MICRO, images);
    try (SaimEncoder e = SaimEncoder.builder().zoo(MICRO).build()) {
      for (int i = 0; i < images.size(); i++) {
        assertClose(e.embed(RawImage.of(images.get(i))), url[i]);
      }
      assertEquals(e.dimension(), url[0].length);
    }
    // the model folder DJL reads lives in the configured cache
    assertTrue(Files.isRegularFile(cache.resolve("djl").resolve(MICRO).resolve("serving.properties")));
  }

  @Test
  void urlOptionsSetPoolingAndNormalisation() throws Exception {
    List<BufferedImage> images = List.of(picture(4));
    float[][] url = viaUrl("djl://" + SaimZoo.GROUP_ID + "/" + MICRO + "?pooling=mean&l2=true", images);
    try (SaimEncoder e = SaimEncoder.builder().zoo(MICRO).pooling(SaimEncoder.Pooling.MEAN)
        .l2Normalize(true).build()) {
      assertClose(e.embed(RawImage.of(images.get(0))), url[0]);
    }
    double norm = 0;
    for (float v : url[0]) {
      norm += v * v;
    }
    assertEquals(1.0, norm, 1e-5);
  }

  @Test
  void badSaimUrlsAreRefusedWhenTheCriteriaIsBuiltNamingTheFault() {
    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> Criteria.builder().setTypes(Image.class, float[].class)
            .optModelUrls("djl://" + SaimZoo.GROUP_ID + "/no_such_model").build());
    assertTrue(unknown.getMessage().contains("'no_such_model'") && unknown.getMessage().contains(MICRO),
        unknown.getMessage());
    IllegalArgumentException option = assertThrows(IllegalArgumentException.class,
        () -> Repository.newInstance("x", "djl://" + SaimZoo.GROUP_ID + "/" + MICRO + "?pooling=max"));
    assertTrue(option.getMessage().contains("pooling 'max'"), option.getMessage());
    IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
        () -> Repository.newInstance("x", "djl://" + SaimZoo.GROUP_ID + "/" + MICRO + "?engine=MXNet"));
    assertTrue(key.getMessage().contains("unknown option 'engine'"), key.getMessage());
    IllegalArgumentException version = assertThrows(IllegalArgumentException.class,
        () -> Repository.newInstance("x", "djl://" + SaimZoo.GROUP_ID + "/" + MICRO + "/0.1"));
    assertTrue(version.getMessage().contains("no versions"), version.getMessage());
  }

  /** DJL's own djl:// factory, which ours replaces; reached by reflection only to compare with it. */
  static RepositoryFactory djlOwnFactory() throws Exception {
    Class<?> c = Class.forName("ai.djl.repository.RepositoryFactoryImpl$DjlRepositoryFactory");
    Constructor<?> k = c.getDeclaredConstructor();
    k.setAccessible(true);
    return (RepositoryFactory) k.newInstance();
  }

  @Test
  void otherGroupsUrlsResolveExactlyAsDjlResolvesThem() throws Exception {
    RepositoryFactory djl = djlOwnFactory();
    for (String url : List.of("djl://" + OtherTestZoo.GROUP_ID + "/resnet_like",
        "djl://" + OtherTestZoo.GROUP_ID + "/resnet_like/0.0.1",
        "djl://" + OtherTestZoo.GROUP_ID + "/resnet_like/0.0.1/resnet_like?flavor=x")) {
      Repository ours = Repository.newInstance(url, url);
      assertInstanceOf(RemoteRepository.class, ours, url);
      Repository theirs = djl.newInstance(url, URI.create(url));
      assertEquals(theirs.getBaseUri(), ours.getBaseUri(), url);
      assertEquals(theirs.getName(), ours.getName(), url);
      List<MRL> a = theirs.getResources();
      List<MRL> b = ours.getResources();
      assertEquals(1, b.size(), url);
      assertEquals(a.get(0).toURI(), b.get(0).toURI(), url);
      assertEquals(a.get(0).getVersion(), b.get(0).getVersion(), url);
      assertEquals(a.get(0).getApplication(), b.get(0).getApplication(), url);
      assertEquals(a.get(0).toString(), b.get(0).toString(), url);
    }
    assertTrue(ours("djl://" + OtherTestZoo.GROUP_ID + "/resnet_like").getBaseUri().toString()
        .startsWith(DjlUrlRepositoryFactory.DJL_HUB));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> Repository.newInstance("x", "djl://org.example.nozoo/model"));
    assertTrue(missing.getMessage().contains("org.example.nozoo"), missing.getMessage());
  }

  private static Repository ours(String url) {
    return Repository.newInstance(url, url);
  }
}
