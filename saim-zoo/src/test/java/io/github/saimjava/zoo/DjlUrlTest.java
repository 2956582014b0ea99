package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Application;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.BufferedImageFactory;
import ai.djl.modality.cv.Image;
import ai.djl.repository.MRL;
import ai.djl.repository.RemoteRepository;
import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import java.awt.image.BufferedImage;
import java.lang.reflect.Constructor;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code djl://} URLs: this zoo's resolve offline to the same encoder as the group/artifact route;
 * every other group's resolve exactly as DJL's own factory does (compared with it, without
 * network).
 */
class DjlUrlTest {
  static final String MICRO = "saim_vit_micro_patch4_32_fmnist";

  static List<Image> pictures() {
    List<Image> out = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      BufferedImage b = new BufferedImage(28 + 8 * k, 28, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < b.getHeight(); y++) {
        for (int x = 0; x < b.getWidth(); x++) {
          b.setRGB(
              x, y, ((x * (9 + k)) & 255) << 16 | ((y * 9 + 40 * k) & 255) << 8 | (60 + 50 * k));
        }
      }
      out.add(BufferedImageFactory.getInstance().fromImage(b));
    }
    return out;
  }

  static List<float[]> embed(Criteria<Image, float[]> criteria) throws Exception {
    List<float[]> out = new ArrayList<>();
    try (ZooModel<Image, float[]> model = criteria.loadModel();
        Predictor<Image, float[]> p = model.newPredictor()) {
      for (Image i : pictures()) {
        out.add(p.predict(i));
      }
    }
    return out;
  }

  @Test
  void aDjlUrlLoadsTheBundledModelOfflineIntoTheCacheWithTheGroupIdRoutesEmbeddings(
      @TempDir Path dir) throws Exception {
    Path cacheDir = dir.resolve("cache");
    System.setProperty("saim.cache.dir", cacheDir.toString());
    try {
      Criteria<Image, float[]> byUrl =
          Criteria.builder()
              .setTypes(Image.class, float[].class)
              .optModelUrls("djl://" + SaimZoo.GROUP_ID + "/" + MICRO)
              .build();
      List<float[]> viaUrl = embed(byUrl);
      List<float[]> viaGroup =
          embed(
              Criteria.builder()
                  .setTypes(Image.class, float[].class)
                  .optGroupId(SaimZoo.GROUP_ID)
                  .optArtifactId(MICRO)
                  .build());
      assertEquals(3, viaUrl.size());
      for (int i = 0; i < viaUrl.size(); i++) {
        assertEquals(96, viaUrl.get(i).length);
        double num = 0;
        double den = 0;
        for (int k = 0; k < 96; k++) {
          double d = viaUrl.get(i)[k] - viaGroup.get(i)[k];
          num += d * d;
          den += (double) viaGroup.get(i)[k] * viaGroup.get(i)[k];
        }
        double rel = Math.sqrt(num / den);
        assertTrue(rel < 1e-6, "image " + i + ": relative error " + rel);
      }
      // the images differ, so equal vectors are not an accident of a constant output
      assertTrue(Math.abs(viaUrl.get(0)[0] - viaUrl.get(1)[0]) > 1e-4);

      if (System.getenv("SAIM_CACHE_DIR") == null) {
        Path modelDir = cacheDir.resolve("djl").resolve(MICRO);
        ZooArtifact a = SaimZoo.artifacts().get(MICRO);
        Path cached = new ArtifactCache(cacheDir).location(a.fileName(), a.sha256());
        assertTrue(Files.isRegularFile(cached), "bundled weights copied into the configured cache");
        assertTrue(
            Files.isSameFile(cached, modelDir.resolve(a.fileName())),
            "model directory links the verified file");
        String props = Files.readString(modelDir.resolve("serving.properties"));
        assertTrue(props.contains("blockFactory=io.github.saimjava.zoo.SaimBlockFactory\n"), props);
        assertTrue(props.contains("option.hasParameter=false\n"), props);
        assertTrue(byUrl.isDownloaded());
      }
    } finally {
      System.clearProperty("saim.cache.dir");
    }
  }

  @Test
  void theFactoryIsRegisteredForDjlUrlsAndAnswersThisZooWithItsOwnRepository() {
    Repository r = Repository.newInstance("u", "djl://" + SaimZoo.GROUP_ID + "/" + MICRO);
    assertInstanceOf(ZooRepository.class, r);
    MRL mrl = r.getResources().get(0);
    assertEquals(SaimZoo.GROUP_ID, mrl.getGroupId());
    assertEquals(MICRO, mrl.getArtifactId());
    assertEquals("djl://" + SaimZoo.GROUP_ID + "/" + MICRO, mrl.toString());
  }

  @Test
  void unknownArtifactsVersionsAndQueriesOfThisZooAreRefusedByName() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Repository.newInstance("u", "djl://io.github.saimjava/saim_vit_nope"));
    assertEquals(
        "unknown zoo model 'saim_vit_nope' in djl://io.github.saimjava/saim_vit_nope (known: "
            + String.join(", ", SaimZoo.artifacts().keySet())
            + ")",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Repository.newInstance("u", "djl://io.github.saimjava/" + MICRO + "/0.0.1/x"));
    assertTrue(
        e.getMessage()
            .endsWith(
                "have no versions (each is pinned by its SHA-256); use djl://"
                    + "io.github.saimjava/"
                    + MICRO),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Repository.newInstance(
                    "u", "djl://io.github.saimjava/" + MICRO + "?engine=PyTorch"));
    assertTrue(e.getMessage().contains("take no query string"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Repository.newInstance("u", "djl://io.github.saimjava/"));
    assertTrue(e.getMessage().contains(MICRO), e.getMessage());
  }

  /** A zoo of another group with one model, as a third-party zoo on the class path would be. */
  static final class OtherZoo extends ModelZoo {
    static final String GROUP = "com.example.otherzoo";

    @SuppressWarnings("this-escape")
    OtherZoo() {
      Repository hub = new RemoteRepository("other", ModelZoo.DJL_REPO_URL);
      addModel(hub.model(Application.CV.IMAGE_CLASSIFICATION, GROUP, "resnet", "0.0.1"));
    }

    @Override
    public String getGroupId() {
      return GROUP;
    }

    @Override
    public Set<String> getSupportedEngines() {
      return Set.of("PyTorch");
    }
  }

  @Test
  void otherGroupsDjlUrlsResolveExactlyAsDjlsOwnFactoryDoes() throws Exception {
    ModelZoo.registerModelZoo(OtherZoo::new);
    Class<?> c = Class.forName("ai.djl.repository.RepositoryFactoryImpl$DjlRepositoryFactory");
    Constructor<?> k = c.getDeclaredConstructor();
    k.setAccessible(true);
    RepositoryFactory djls = (RepositoryFactory) k.newInstance();
    RepositoryFactory ours = new DjlUrlRepositoryFactory();
    for (String url :
        List.of(
            "djl://com.example.otherzoo/resnet",
            "djl://com.example.otherzoo/resnet/0.0.1",
            "djl://com.example.otherzoo/resnet/0.0.1/resnet18",
            "djl://com.example.otherzoo/resnet/0.0.1/",
            "djl://com.example.otherzoo/resnet?engine=PyTorch&flavor=cpu")) {
      Repository want = djls.newInstance("n", URI.create(url));
      Repository got = ours.newInstance("n", URI.create(url));
      assertInstanceOf(RemoteRepository.class, got, url);
      assertEquals(want.getName(), got.getName(), url);
      assertEquals(want.getBaseUri(), got.getBaseUri(), url);
      assertTrue(got.getBaseUri().toString().startsWith("https://mlrepo.djl.ai/"), url);
      assertEquals(1, got.getResources().size(), url);
      MRL w = want.getResources().get(0);
      MRL g = got.getResources().get(0);
      assertEquals(w.toURI(), g.toURI(), url);
      assertEquals(w.getApplication(), g.getApplication(), url);
      assertEquals(w.getGroupId(), g.getGroupId(), url);
      assertEquals(w.getArtifactId(), g.getArtifactId(), url);
      assertEquals(w.getVersion(), g.getVersion(), url);
      assertEquals(artifactName(w), artifactName(g), url);
    }
    assertEquals(
        "0.0.1",
        ours.newInstance("n", URI.create("djl://com.example.otherzoo/resnet/0.0.1/resnet18"))
            .getResources()
            .get(0)
            .getVersion());
    assertNull(
        ours.newInstance("n", URI.create("djl://com.example.otherzoo/resnet"))
            .getResources()
            .get(0)
            .getVersion());
    for (String bad :
        List.of(
            "djl://no.such.group/resnet",
            "djl://com.example.otherzoo/",
            "djl://com.example.otherzoo/vgg",
            "djl:///resnet")) {
      IllegalArgumentException want =
          assertThrows(
              IllegalArgumentException.class, () -> djls.newInstance("n", URI.create(bad)));
      IllegalArgumentException got =
          assertThrows(
              IllegalArgumentException.class, () -> ours.newInstance("n", URI.create(bad)));
      assertEquals(want.getMessage(), got.getMessage(), bad);
    }
  }

  private static Object artifactName(MRL mrl) throws ReflectiveOperationException {
    java.lang.reflect.Field f = MRL.class.getDeclaredField("artifactName");
    f.setAccessible(true);
    return f.get(mrl);
  }
}
