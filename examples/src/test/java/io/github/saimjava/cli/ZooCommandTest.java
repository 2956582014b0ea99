package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.zoo.ArtifactCache;
import io.github.saimjava.zoo.SaimZoo;
import io.github.saimjava.zoo.ZooLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code saim zoo list} and {@code saim zoo pull} with a fabricated file of the full ViT-B/16
 * fine-tuned layout (random values, 1000 classes, about 346 MB, written once for the class).
 */
class ZooCommandTest {
  static final String FT = "saim_vit_base_patch16_224_in1k_ft";
  static final String LIN = "saim_vit_base_patch16_224_in1k_lin";

  @TempDir static Path shared;
  static Path vitBase;

  @TempDir Path dir;
  Path cache;

  @BeforeAll
  static void fabricate() throws IOException {
    vitBase = shared.resolve("vit_base_in1k_ft.safetensors");
    SplittableRandom rng = new SplittableRandom(14);
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    ZooLayout.expected(SaimZoo.artifacts().get(FT))
        .forEach(
            (name, shape) -> {
              float[] v = new float[(int) HostTensor.numel(shape)];
              for (int i = 0; i < v.length; i++) {
                v[i] = (float) (rng.nextDouble() * 0.04 - 0.02);
              }
              tensors.put(name, HostTensor.ofFloats(shape, v));
            });
    SafeTensors.write(vitBase, tensors, Map.of());
  }

  @BeforeEach
  void useACacheOfItsOwn() {
    cache = dir.resolve("cache");
    System.setProperty("saim.cache.dir", cache.toString());
  }

  @AfterEach
  void clear() {
    System.clearProperty("saim.cache.dir");
  }

  static Map<String, String> snapshot(Path d) throws IOException {
    Map<String, String> out = new TreeMap<>();
    if (Files.isDirectory(d)) {
      try (Stream<Path> s = Files.walk(d)) {
        for (Path p : s.filter(Files::isRegularFile).toList()) {
          out.put(d.relativize(p).toString(), ArtifactCache.sha256(p));
        }
      }
    }
    return out;
  }

  @Test
  void listShowsTheThreePapersModelsAsNotCachedWithWhereFirstUseDownloadsThem() {
    CliTestSupport.Result r = CliTestSupport.run("zoo", "list");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(
        r.out()
            .contains(
                "saim_vit_base_patch16_224  [pre-trained]  not cached: first use downloads it from"
                    + " drive.google.com (or `saim zoo pull saim_vit_base_patch16_224 --from"
                    + " FILE`)\n"),
        r.out());
    assertTrue(
        r.out()
            .contains(
                FT
                    + "  [fine-tuned classifier, 1000 classes]  not cached: first use downloads it"
                    + " from drive.google.com"),
        r.out());
    assertTrue(
        r.out().contains(LIN + "  [linear-probe classifier, 1000 classes]  not cached"), r.out());
    assertTrue(
        r.out()
            .contains(
                "saim_vit_micro_patch4_32_fmnist  [pre-trained]  bundled in the saim-zoo jar"),
        r.out());
  }

  @Test
  void pullImportsAFileOfTheViTBaseLayoutAndListShowsItCachedWithItsDigests() throws Exception {
    String downloaded = ArtifactCache.sha256(vitBase);
    CliTestSupport.Result r = CliTestSupport.run("zoo", "pull", FT, "--from", vitBase.toString());
    assertEquals(0, r.exitCode(), r.err());
    ArtifactCache.Imported e = new ArtifactCache(cache).imported(FT, FT + ".safetensors");
    assertEquals(downloaded, e.downloadedSha256());
    assertEquals(ArtifactCache.sha256(e.weights()), e.convertedSha256());
    assertEquals(Files.size(vitBase), e.downloadedBytes());
    assertTrue(e.convertedBytes() > 340_000_000L, "ViT-B/16 in float32: " + e.convertedBytes());
    // a safetensors file of our names passes through the converter unchanged
    assertEquals(downloaded, e.convertedSha256());
    assertTrue(
        r.out()
            .contains(
                "  downloaded SHA-256 "
                    + downloaded
                    + "  ("
                    + Files.size(vitBase)
                    + " bytes from "
                    + vitBase
                    + ")\n"),
        r.out());
    assertTrue(r.out().strip().endsWith("-Dsaim.zoo." + FT + ".sha256=" + downloaded), r.out());

    CliTestSupport.Result l = CliTestSupport.run("zoo", "list");
    assertEquals(0, l.exitCode(), l.err());
    assertTrue(l.out().contains(FT + "  [fine-tuned classifier, 1000 classes]  cached\n"), l.out());
    assertTrue(
        l.out()
            .contains(
                "    downloaded SHA-256 "
                    + downloaded
                    + "  ("
                    + Files.size(vitBase)
                    + " bytes)\n"
                    + "    converted  SHA-256 "
                    + e.convertedSha256()
                    + "  ("
                    + e.convertedBytes()
                    + " bytes)\n"),
        l.out());

    // a pull of what is cached downloads nothing and prints the same digests
    CliTestSupport.Result again = CliTestSupport.run("zoo", "pull", FT);
    assertEquals(0, again.exitCode(), again.err());
    assertEquals(r.out(), again.out());

    // the zoo now serves it offline by name
    assertEquals(
        e.weights(), new SaimZoo(new ArtifactCache(cache)).weights(SaimZoo.artifacts().get(FT)));
  }

  @Test
  void pullRefusesAFileOfAnotherArchitectureOrKindInOneLineWithExitTwoAndTheCacheUnchanged()
      throws Exception {
    assertEquals(0, CliTestSupport.run("zoo", "pull", FT, "--from", vitBase.toString()).exitCode());
    Map<String, String> before = snapshot(cache);

    Path tiny = dir.resolve("tiny.safetensors");
    SaimConfig c =
        SaimConfig.builder()
            .imageSize(32)
            .patchSize(8)
            .width(48)
            .depth(2)
            .heads(3)
            .queryDepth(2)
            .build();
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(c, m, 3)) {
      SafeTensors.write(tiny, model.stateDict(), Map.of());
    }
    CliTestSupport.Result r =
        CliTestSupport.run("zoo", "pull", "saim_vit_base_patch16_224", "--from", tiny.toString());
    assertEquals(2, r.exitCode(), r.err());
    assertEquals(
        "saim: error: "
            + tiny
            + " does not have the layout of the encoder of saim_vit_base_patch16_224 (ViT 224 px,"
            + " patch 16, width 768, depth 12): 160 missing (blocks.2.norm1.weight,"
            + " blocks.2.norm1.bias, blocks.2.attn.q.weight, ...); 38 of another shape (cls_token"
            + " [1, 1, 48] != [1, 1, 768], pos_embed [1, 17, 48] != [1, 197, 768],"
            + " patch_embed.proj.weight [48, 3, 8, 8] != [768, 3, 16, 16], ...); nothing was"
            + " cached\n",
        r.err());
    assertEquals("", r.out());

    r = CliTestSupport.run("zoo", "pull", LIN, "--from", vitBase.toString());
    assertEquals(2, r.exitCode(), r.err());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(
        r.err()
            .startsWith(
                "saim: error: "
                    + vitBase
                    + " does not have the layout of the linear-probed "
                    + "classifier "
                    + LIN
                    + " (ViT 224 px, patch 16, width 768, depth 12, 1000 classes): 7 missing"
                    + " (norm.weight, norm.bias, head.0.running_mean, ...); 4 unexpected"
                    + " (fc_norm.weight, fc_norm.bias, head.weight, ...)"),
        r.err());
    assertEquals(before, snapshot(cache));
    assertFalse(r.err().contains("Exception"), r.err());
  }
}
