package io.github.saimjava.downstream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimFineTuner;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import io.github.saimjava.train.RunFolder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fine-tuning in bfloat16: the loss follows float32's closely but not exactly (the matrix
 * multiplies are really lowered), resumes exactly, and a checkpoint does not resume in the other
 * precision.
 */
class FineTunePrecisionTest {
  /** The tiny run with stochastic depth on, so the bfloat16 drop-path runs too. */
  static SaimFineTuner.Builder tiny(Path out, Precision precision) {
    return FineTunerTest.tiny(out).dropPath(0.2).precision(precision);
  }

  static double[] trainLosses(Path dir) throws Exception {
    List<String> lines = Files.readAllLines(dir.resolve(RunFolder.METRICS), StandardCharsets.UTF_8);
    double[] out = new double[lines.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] =
          JsonParser.parseString(lines.get(i)).getAsJsonObject().get("train_loss").getAsDouble();
    }
    return out;
  }

  @Test
  void bfloat16FollowsFloat32AndResumesExactly(@TempDir Path dir) throws Exception {
    Path fp32 = dir.resolve("fp32");
    Path bf16 = dir.resolve("bf16");
    Path resumed = dir.resolve("resumed");
    FineTunerTest.run(tiny(fp32, Precision.FP32));
    FineTunerTest.run(tiny(bf16, Precision.BF16));
    double[] a = trainLosses(fp32);
    double[] b = trainLosses(bf16);
    assertEquals(3, b.length);
    double worst = 0;
    for (int e = 0; e < a.length; e++) {
      worst = Math.max(worst, Math.abs(b[e] - a[e]) / a[e]);
    }
    // bfloat16 keeps 8 significant bits: the epochs' mean losses move, by well under 5%
    assertTrue(worst > 1e-5 && worst < 5e-2, "largest relative loss difference " + worst);
    assertTrue(b[2] < b[0] - 0.2, "bf16 loss " + b[0] + " -> " + b[2]);
    JsonObject config =
        JsonParser.parseString(Files.readString(bf16.resolve("config.json")))
            .getAsJsonObject()
            .getAsJsonObject("finetune");
    assertEquals("BF16", config.get("precision").getAsString());
    assertTrue(
        !JsonParser.parseString(Files.readString(fp32.resolve("config.json")))
            .getAsJsonObject()
            .getAsJsonObject("finetune")
            .has("precision"),
        "float32 runs record no precision, as before the option");

    FineTunerTest.run(tiny(resumed, Precision.BF16).stopAfterEpochs(1));
    SaimFineTuner.Result r = FineTunerTest.run(tiny(resumed, Precision.BF16));
    assertEquals(1, r.resumedFromEpoch());
    Map<String, HostTensor> wa = SafeTensors.read(bf16.resolve(SaimFineTuner.CHECKPOINT)).tensors();
    Map<String, HostTensor> wb =
        SafeTensors.read(resumed.resolve(SaimFineTuner.CHECKPOINT)).tensors();
    assertEquals(wa.keySet(), wb.keySet());
    for (String k : wa.keySet()) {
      assertArrayEquals(wa.get(k).toFloatArray(), wb.get(k).toFloatArray(), 0f, k);
    }
  }

  @Test
  void aFloat32CheckpointDoesNotResumeInBfloat16(@TempDir Path dir) throws Exception {
    FineTunerTest.run(tiny(dir, Precision.FP32).epochs(2).stopAfterEpochs(1));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> FineTunerTest.run(tiny(dir, Precision.BF16).epochs(2)));
    assertTrue(e.getMessage().contains("precision"), e.getMessage());
    assertTrue(e.getMessage().contains(SaimFineTuner.CHECKPOINT), e.getMessage());
  }
}
