package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.api.SaimConfig;
import org.junit.jupiter.api.Test;

class BenchCommandTest {
  @Test
  void flopCountFollowsTheDocumentedFormula() {
    SaimConfig c = SaimConfig.builder().imageSize(32).patchSize(16).width(8).depth(2).heads(2)
        .queryDepth(1).mlpRatio(4).blur(3, 1).build(); // L = 4, T = 5, D = 8, hidden 32, P = 768
    int b = 2;
    double block = 4 * 2 * b * 5 * 8 * 8 + 2 * 2 * b * 5 * 5 * 8 + 2 * 2 * b * 5 * 8 * 32;
    double head = 2 * b * 5 * 8 * 32 + 2 * b * 5 * 32 * 768;
    double patch = 2 * b * 4 * 8 * 768;
    double blur = 2 * b * 3 * 32 * 32 * 9;
    assertEquals(3 * (3 * block + head) + 2 * patch + blur, BenchCommand.stepFlops(c, b), 1e-6);
    // ViT-B/16 at batch 4: about 0.86 TFLOP a step
    assertEquals(861.7, BenchCommand.stepFlops(SaimConfig.vitBase(), 4) / 1e9, 0.1);
  }

  @Test
  void trainStepEndsWithImagesPerSecond() {
    CliTestSupport.Result r = CliTestSupport.run("bench", "train-step", "--model", "tiny", "--batch", "1",
        "--steps", "1", "--threads", "2");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.lastLine().matches("images_per_s \\d+\\.\\d{3}"), r.lastLine());
  }
}
