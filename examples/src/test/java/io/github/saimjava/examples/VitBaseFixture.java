package io.github.saimjava.examples;

import ai.djl.ndarray.NDManager;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.downstream.VitClassifier;
import io.github.saimjava.io.SafeTensors;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A randomly initialised ViT-B/16 fine-tuned classifier (1000 classes, global pool; about 344 MB)
 * standing in for the paper's, written once per test JVM and named by {@code
 * saim.zoo.saim_vit_base_patch16_224_in1k_ft.file}, so the README's snippets run as written.
 */
public final class VitBaseFixture {
  public static final String FT = "saim_vit_base_patch16_224_in1k_ft";
  private static Path dir;

  private VitBaseFixture() {}

  /** Makes the zoo name resolve to the stand-in; returns a folder holding {@code cat.jpg}. */
  public static synchronized Path install() {
    if (dir == null) {
      try {
        Path d = Files.createTempDirectory("saim-vitb");
        Path weights = d.resolve("ft.safetensors");
        try (NDManager m = NDManager.newBaseManager("PyTorch");
            VitClassifier v =
                new VitClassifier(
                    SaimConfig.vitBase(),
                    1000,
                    SaimClassifier.Head.GLOBAL_POOL,
                    0,
                    0.02,
                    m,
                    7,
                    Precision.FP32)) {
          SafeTensors.write(weights, v.stateDict(), Map.of());
        }
        BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 240; y++) {
          for (int x = 0; x < 320; x++) {
            img.setRGB(x, y, (x % 256) << 16 | (y % 256) << 8 | 128);
          }
        }
        ImageIO.write(img, "jpg", d.resolve("cat.jpg").toFile());
        Runtime.getRuntime()
            .addShutdownHook(
                new Thread(
                    () -> {
                      try {
                        Files.deleteIfExists(weights);
                        Files.deleteIfExists(d.resolve("cat.jpg"));
                        Files.deleteIfExists(d);
                      } catch (IOException e) {
                        // a temp folder left behind
                      }
                    }));
        dir = d;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    System.setProperty("saim.zoo." + FT + ".file", dir.resolve("ft.safetensors").toString());
    return dir;
  }

  /** Forgets the zoo override (the file stays for the next test of this JVM). */
  public static void uninstall() {
    System.clearProperty("saim.zoo." + FT + ".file");
  }
}
