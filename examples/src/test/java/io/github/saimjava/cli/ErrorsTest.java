package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library words its advice in its builder's terms; the command line names its options instead.
 */
class ErrorsTest {
  @Test
  void libraryAdviceBecomesTheOptionThatCarriesItOut() {
    assertEquals(
        "batch size 64 x accum iter 1 is larger than the dataset (8 images in x): use a smaller"
            + " --batch-size",
        Errors.inFlagTerms(
            "batch size 64 x accum iter 1 is larger than the dataset (8 images in x): use a smaller"
                + " batch size"));
    assertEquals(
        "resume checkpoint c is from another configuration (training.epochs: checkpoint 2, now 3): "
            + "use the same settings, or a new --output folder",
        Errors.inFlagTerms(
            "resume checkpoint c is from another configuration (training.epochs: checkpoint 2, now"
                + " 3): use the same settings, or a new output folder"));
    assertEquals(
        "loss is NaN at step 3 (epoch 0.100); training stopped and x. Lower --blr or enable"
            + " --clip-grad.",
        Errors.inFlagTerms(
            "loss is NaN at step 3 (epoch 0.100); training stopped and x. "
                + "Lower the base learning rate (blr) or clip the gradients (clipGrad)."));
    assertEquals(
        "w.safetensors holds no model configuration: give the architecture (--model, --img-size,"
            + " ...)",
        Errors.inFlagTerms(
            "w.safetensors holds no model configuration: give the architecture (a SaimConfig)"));
    assertEquals("a message without advice", Errors.inFlagTerms("a message without advice"));
  }

  @Test
  void settingsTheLibraryNamesAreWordedAsThisProgramAlwaysHas() {
    assertEquals(
        "batch size 8 x accum iter 2 is larger than the training set (4 images in x): use a smaller"
            + " --batch-size",
        Errors.inFlagTerms(
            "batchSize (8) x accumIter (2) is larger than the training set (4 images in x): "
                + "use a smaller batch size"));
    assertEquals(
        "batch size (8) must be a multiple of world size x devices (3 x 1) to split evenly",
        Errors.inFlagTerms(
            "batchSize (8) must be a multiple of worldSize x devices (3 x 1) to split evenly"));
    assertEquals(
        "evaluation only needs a fine-tuned --checkpoint (with its head)",
        Errors.inFlagTerms("evalOnly needs a fine-tuned checkpoint (with its head)"));
    assertEquals(
        "mixup and cutmix need an even --batch-size, got 7",
        Errors.inFlagTerms("mixup and cutmix need an even batchSize, got 7"));
    assertEquals(
        "a zoo model (m) brings its own architecture: give no --model, --img-size, ...",
        Errors.inFlagTerms("a zoo model (m) brings its own architecture: give no config"));
  }

  @Test
  void theLibrarysErrorNamesNoOptionAndTheCommandLinesDoes(@TempDir Path images, @TempDir Path out)
      throws Exception {
    io.github.saimjava.examples.FashionMnistSample.writeTrainingImages(images, 8);
    SaimConfig tiny =
        SaimConfig.builder()
            .imageSize(32)
            .patchSize(8)
            .width(32)
            .depth(2)
            .heads(2)
            .queryDepth(2)
            .build();
    IllegalArgumentException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                SaimTrainer.builder()
                    .config(tiny)
                    .data(images)
                    .batchSize(16)
                    .threads(1)
                    .outputDir(out)
                    .build()
                    .fit());
    assertTrue(
        e.getMessage()
            .endsWith(
                "(8 images in " + images + " (8 images in 1 classes)): use a smaller batch size"),
        e.getMessage());
    assertTrue(!e.getMessage().contains("--"), e.getMessage());

    CliTestSupport.Result r =
        CliTestSupport.run(
            "pretrain",
            "--data",
            images.toString(),
            "--img-size",
            "32",
            "--patch-size",
            "8",
            "--dim",
            "32",
            "--depth",
            "2",
            "--heads",
            "2",
            "--query-depth",
            "2",
            "--batch-size",
            "16",
            "--threads",
            "1",
            "--output",
            out.resolve("cli").toString());
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().strip().endsWith("use a smaller --batch-size"), r.err());
  }

  /**
   * Offline, the zoo tells a library user the Java routes and this program's user {@code saim zoo
   * pull}: the same failure through the command line.
   */
  @Test
  void theZoosOfflineAdviceIsSaimZooPullOnTheCommandLine(@TempDir Path dir) throws Exception {
    int port;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String name = "saim_vit_base_patch16_224";
    System.setProperty("saim.cache.dir", dir.resolve("cache").toString());
    System.setProperty("saim.zoo." + name + ".url", "http://127.0.0.1:" + port + "/x");
    try {
      CliTestSupport.Result r =
          CliTestSupport.run(
              "embed",
              "--zoo",
              name,
              "--data",
              FolderRulesTest.TINY.resolve("images").toString(),
              "--output",
              dir.resolve("e.safetensors").toString());
      assertEquals(2, r.exitCode(), r.out() + r.err());
      String line = r.err().strip();
      assertTrue(line.startsWith("saim: error: cannot download " + name + " ("), line);
      assertTrue(
          line.endsWith(
              "by hand (a browser works), then import it with `saim zoo pull "
                  + name
                  + " --from FILE`"),
          line);
      assertTrue(!line.contains("SaimZoo") && !line.contains("-Dsaim"), line);
    } finally {
      System.clearProperty("saim.cache.dir");
      System.clearProperty("saim.zoo." + name + ".url");
    }
  }
}
