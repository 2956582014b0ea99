package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.BufferedImageFactory;
import ai.djl.modality.cv.Image;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import com.sun.net.httpserver.HttpServer;
import io.github.saimjava.api.RawImage;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.ReferenceConfig;
import io.github.saimjava.model.SaimModel;
import java.awt.image.BufferedImage;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Zoo models by name, through the encoder builder and through DJL's Criteria, with a real download.
 */
class SaimZooTest {
  static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(48)
          .depth(2)
          .heads(3)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  static BufferedImage picture() {
    BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        b.setRGB(x, y, (x * 9) << 16 | (y * 9) << 8 | 60);
      }
    }
    return b;
  }

  @Test
  void aMirroredArtifactIsDownloadedVerifiedAndServedThroughDjlCriteria(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("src.safetensors");
    try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(TINY, m, 5)) {
      SafeTensors.write(
          file, model.stateDict(), Map.of("config", ReferenceConfig.toJson(TINY).toString()));
    }
    byte[] bytes = Files.readAllBytes(file);
    String sha = ArtifactCache.sha256(file);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/test_tiny.safetensors",
        ex -> {
          ex.sendResponseHeaders(200, bytes.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
          }
        });
    server.start();
    Path cacheDir = dir.resolve("cache");
    String port = Integer.toString(server.getAddress().getPort());
    System.setProperty("saim.cache.dir", cacheDir.toString());
    System.setProperty("saim.zoo.mirror", "http://127.0.0.1:" + port + "/");
    SaimZoo.add(
        new ZooArtifact(
            "test_tiny",
            "a tiny test model",
            TINY,
            new float[] {0.485f, 0.456f, 0.406f},
            new float[] {0.229f, 0.224f, 0.225f},
            "this test",
            "test_tiny.safetensors",
            sha,
            null,
            null,
            ZooArtifact.Kind.PRETRAINED));
    try {
      float[] direct;
      try (SaimEncoder e = SaimEncoder.builder().zoo("test_tiny").build()) {
        assertEquals(TINY, e.config());
        direct = e.embed(RawImage.of(picture()));
      }
      assertTrue(
          Files.isRegularFile(new ArtifactCache(cacheDir).location("test_tiny.safetensors", sha)));
      server.stop(0); // from now on only the cache can serve it
      Criteria<Image, float[]> criteria =
          Criteria.builder()
              .setTypes(Image.class, float[].class)
              .optGroupId(SaimZoo.GROUP_ID)
              .optArtifactId("test_tiny")
              .build();
      try (ZooModel<Image, float[]> model = criteria.loadModel();
          Predictor<Image, float[]> p = model.newPredictor()) {
        float[] viaDjl = p.predict(BufferedImageFactory.getInstance().fromImage(picture()));
        assertArrayEquals(direct, viaDjl, 1e-5f);
      }
    } finally {
      System.clearProperty("saim.cache.dir");
      System.clearProperty("saim.zoo.mirror");
      server.stop(0);
    }
  }

  @Test
  void unknownNamesListTheKnownOnes() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SaimEncoder.builder().zoo("nope").build());
    assertTrue(e.getMessage().startsWith("unknown zoo model 'nope' (known: "), e.getMessage());
    assertTrue(e.getMessage().contains("saim_vit_base_patch16_224"), e.getMessage());
  }

  @Test
  void thePapersModelsComeFromTheAuthorsGoogleDriveLinks() {
    assertEquals(
        "https://drive.google.com/uc?export=download&id=1qdK8lwcJp0hE8v3NoKZ4LcqzGFOxq0Ra",
        SaimZoo.artifacts().get("saim_vit_base_patch16_224").url().toString());
    assertEquals(
        "https://drive.google.com/uc?export=download&id=1-XjhgIY0uLDLH6U5lWZ3sbLcJqdeVhkr",
        SaimZoo.artifacts().get("saim_vit_base_patch16_224_in1k_ft").url().toString());
    assertEquals(
        "https://drive.google.com/uc?export=download&id=1ZqK_2D7hEJcp7RsT1KQyokRWgh2kBbgn",
        SaimZoo.artifacts().get("saim_vit_base_patch16_224_in1k_lin").url().toString());
  }

  @Test
  void withoutNetworkThePapersModelSaysHowToImportItByHand(@TempDir Path dir) throws Exception {
    int port;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    System.setProperty("saim.cache.dir", dir.toString());
    System.setProperty("saim.zoo.saim_vit_base_patch16_224.url", "http://127.0.0.1:" + port + "/x");
    try {
      java.io.IOException e =
          assertThrows(
              java.io.IOException.class,
              () -> SaimEncoder.builder().zoo("saim_vit_base_patch16_224").build());
      // a library user has no saim program: the Java routes are named, not `saim zoo pull`
      assertTrue(
          e.getMessage()
              .endsWith(
                  "by hand (a browser works), then in Java import it with new"
                      + " SaimZoo().pull(SaimZoo.artifact(\"saim_vit_base_patch16_224\"), FILE), or"
                      + " set -Dsaim.zoo.saim_vit_base_patch16_224.file=FILE, or give the builder"
                      + " checkpoint(FILE) and"
                      + " config(SaimZoo.artifact(\"saim_vit_base_patch16_224\").config()) instead"
                      + " of zoo(\"saim_vit_base_patch16_224\")"),
          e.getMessage());
      assertFalse(e.getMessage().contains("saim zoo pull"), e.getMessage());
    } finally {
      System.clearProperty("saim.cache.dir");
      System.clearProperty("saim.zoo.saim_vit_base_patch16_224.url");
    }
  }
}
