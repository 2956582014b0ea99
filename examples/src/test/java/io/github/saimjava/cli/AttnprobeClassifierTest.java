package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code saim attnprobe --save-classifier}: the attentive probe as a classifier file that {@code
 * saim evaluate} and {@code saim classify} run, evaluating as the probe did.
 */
class AttnprobeClassifierTest {
  @Test
  void theSavedProbeEvaluatesAsTheProbeDid(@TempDir Path dir) throws Exception {
    // 56 px images: larger than the 32 px model, so the encoder and the classifier both resize
    Path data = LinprobeClassifierTest.imageFolders(dir.resolve("data"), 20, 6);
    Path saved = dir.resolve("attn.safetensors");
    System.setProperty("saim.cache.dir", dir.resolve("cache").toString());
    try {
      CliTestSupport.Result probe =
          CliTestSupport.run(
              "attnprobe",
              "--zoo",
              "saim_vit_micro_patch4_32_fmnist",
              "--data",
              data.toString(),
              "--last-blocks",
              "2",
              "--probe-heads",
              "4",
              "--queries",
              "2",
              "--epochs",
              "4",
              "--batch-size",
              "50",
              "--blr",
              "0.02",
              "--threads",
              "1",
              "--output",
              dir.resolve("out").toString(),
              "--save-classifier",
              saved.toString());
      assertEquals(0, probe.exitCode(), probe.err());
      assertTrue(probe.out().contains("attentive-probe classifier (10 classes) in " + saved));
      try (SaimClassifier c = SaimClassifier.builder().checkpoint(saved).build()) {
        assertEquals(SaimClassifier.Head.ATTENTIVE, c.head());
        assertEquals(10, c.numClasses());
      }
      CliTestSupport.Result eval =
          CliTestSupport.run(
              "evaluate",
              "--checkpoint",
              saved.toString(),
              "--data",
              data.resolve("val").toString(),
              "--threads",
              "1");
      assertEquals(0, eval.exitCode(), eval.err());
      System.out.println(
          "attnprobe: " + probe.lastLine() + "; evaluate of the saved probe: " + eval.lastLine());
      assertEquals(probe.lastLine(), eval.lastLine());
      CliTestSupport.Result classify =
          CliTestSupport.run(
              "classify",
              "--checkpoint",
              saved.toString(),
              "--data",
              data.resolve("val").resolve("c3").toString(),
              "--top",
              "2",
              "--threads",
              "1");
      assertEquals(0, classify.exitCode(), classify.err());
      assertEquals(6, classify.out().strip().lines().count(), classify.out());
    } finally {
      System.clearProperty("saim.cache.dir");
    }
  }

  @Test
  void savingNeedsLoadedWeightsAndLeavesNoFileWhenRefused(@TempDir Path dir) throws Exception {
    Path data = LinprobeClassifierTest.imageFolders(dir.resolve("data"), 1, 1);
    Path saved = dir.resolve("attn.safetensors");
    CliTestSupport.Result random =
        CliTestSupport.run(
            "attnprobe",
            "--random-init",
            "--model",
            "tiny",
            "--img-size",
            "32",
            "--patch-size",
            "8",
            "--data",
            data.toString(),
            "--save-classifier",
            saved.toString());
    assertEquals(2, random.exitCode());
    assertTrue(
        random.err().contains("--save-classifier needs the encoder's weights"), random.err());
    Path nowhere = dir.resolve("missing").resolve("attn.safetensors");
    CliTestSupport.Result folder =
        CliTestSupport.run(
            "attnprobe",
            "--zoo",
            "saim_vit_micro_patch4_32_fmnist",
            "--data",
            data.toString(),
            "--save-classifier",
            nowhere.toString());
    assertEquals(2, folder.exitCode());
    assertTrue(folder.err().contains("does not exist"), folder.err());
    assertFalse(Files.exists(saved));
    assertFalse(Files.exists(nowhere));
  }
}
