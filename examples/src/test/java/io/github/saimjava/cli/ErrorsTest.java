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
}
