package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import io.github.saimjava.api.SaimConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
  @Test
  void flopCountFollowsTheDocumentedFormula() {
    SaimConfig c =
        SaimConfig.builder()
            .imageSize(32)
            .patchSize(16)
            .width(8)
            .depth(2)
            .heads(2)
            .queryDepth(1)
            .mlpRatio(4)
            .blur(3, 1)
            .build(); // L = 4, T = 5, D = 8, hidden 32, P = 768
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
  void trainStepEndsWithImagesPerSecondAndReportsMemoryAndProfile(@TempDir Path dir)
      throws Exception {
    Path trace = dir.resolve("step.json");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "bench",
            "train-step",
            "--model",
            "tiny",
            "--batch",
            "1",
            "--steps",
            "2",
            "--threads",
            "2",
            "--profile",
            trace.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.lastLine().matches("images_per_s \\d+\\.\\d{3}"), r.lastLine());
    // resident memory after the warm-up and each of the 2 timed steps, then the peak
    Matcher m =
        Pattern.compile(
                "memory: resident MB after each step \\(warm-up first\\) (\\d+) (\\d+) (\\d+); "
                    + "peak resident (\\d+) MB")
            .matcher(r.out());
    assertTrue(m.find(), r.out());
    long peak = Long.parseLong(m.group(4));
    for (int i = 1; i <= 3; i++) {
      long after = Long.parseLong(m.group(i));
      assertTrue(
          after > 50 && after <= peak, "step " + i + ": " + after + " MB, peak " + peak + " MB");
    }
    // the trace of the last step: a JSON array of the engine's operators, forward and backward
    String json = Files.readString(trace);
    assertTrue(json.strip().startsWith("[") && json.strip().endsWith("]"), "not a JSON array");
    assertTrue(
        json.contains("aten::mm") || json.contains("aten::addmm"),
        "no matrix multiply in the trace");
    assertTrue(json.contains("Backward"), "no backward operator in the trace");
    assertFalse(Files.exists(dir.resolve("step.json.tmp")));
    assertTrue(r.out().contains("profile of the last step: " + trace.toAbsolutePath()), r.out());
  }

  @Test
  void embedRunsTheFrozenEncoderAndReportsCpuOperatorsAndCeiling(@TempDir Path dir) {
    Path trace = dir.resolve("embed.json");
    CliTestSupport.Result r =
        CliTestSupport.run(
            "bench",
            "embed",
            "--model",
            "tiny",
            "--batch",
            "1",
            "--steps",
            "1",
            "--threads",
            "1",
            "--frozen",
            "--profile",
            trace.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("cpu: "), r.out());
    assertTrue(r.out().contains("encoder: frozen (one engine call, "), r.out());
    assertTrue(
        Pattern.compile("memory: resident MB after each step \\(warm-up first\\) \\d+ \\d+; peak")
            .matcher(r.out())
            .find(),
        r.out());
    Matcher ops =
        Pattern.compile("operators: (\\d+) engine operator events in the profiled step, (\\d+) of")
            .matcher(r.out());
    assertTrue(ops.find(), r.out());
    // the trace holds the operators counted, each one JSON object with a name
    long names = Pattern.compile("\"name\"").matcher(readString(trace)).results().count();
    assertEquals(names, Long.parseLong(ops.group(1)));
    // the encoder is one call from Java: the input, the script, the pooling's few operators
    assertTrue(Long.parseLong(ops.group(2)) < 20, ops.group(2));
    assertTrue(
        Pattern.compile(
                "ceiling_share \\d+\\.\\d% of the fp32 matrix-multiply ceiling, [\\d.]+ GFLOP/s")
            .matcher(r.out())
            .find(),
        r.out());
    assertTrue(r.lastLine().matches("images_per_s \\d+\\.\\d{3}"), r.lastLine());
  }

  @Test
  void traceCountTellsOutermostEventsFromNestedOnes() {
    // a script call enclosing two operators, one of them enclosing a third; then a lone operator;
    // and one on another thread at the same time
    JsonArray trace =
        JsonParser.parseString(
                "[{\"ts\":0,\"dur\":10,\"tid\":1},{\"ts\":1,\"dur\":4,\"tid\":1},"
                    + "{\"ts\":2,\"dur\":1,\"tid\":1},{\"ts\":6,\"dur\":3,\"tid\":1},"
                    + "{\"ts\":12,\"dur\":1,\"tid\":1},{\"ts\":0,\"dur\":5,\"tid\":2}]")
            .getAsJsonArray();
    assertEquals(new TraceCount(6, 3), TraceCount.of(trace));
  }

  @Test
  void embedRefusesAnUnknownAttention() {
    CliTestSupport.Result r =
        CliTestSupport.run("bench", "embed", "--model", "tiny", "--attention", "flash");
    assertEquals(2, r.exitCode(), r.err());
    assertTrue(r.err().contains("--attention"), r.err());
  }

  @Test
  void cpuInfoNamesTheModelAndTheMatrixInstructions() {
    List<String> amd =
        List.of(
            "processor\t: 0",
            "model name\t: AMD EPYC",
            "flags\t\t: fpu sse avx2 fma",
            "",
            "processor\t: 1",
            "model name\t: AMD EPYC",
            "flags\t\t: fpu sse avx2 fma");
    assertEquals(
        "cpu: AMD EPYC, 2 logical cores; flags: avx2 fma (no amx_bf16, no amx_tile, no"
            + " avx512_bf16, no avx512f)",
        CpuInfo.parse(amd).describe());
    List<String> xeon =
        List.of(
            "processor\t: 0",
            "model name\t: Intel(R) Xeon(R) Platinum 8481C",
            "flags\t\t: avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile");
    assertEquals(
        "cpu: Intel(R) Xeon(R) Platinum 8481C, 1 logical cores; flags: amx_bf16 amx_tile"
            + " avx512_bf16 avx512f avx2 fma",
        CpuInfo.parse(xeon).describe());
  }

  private static String readString(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void processMemoryReadsKernelStatusLines() {
    List<String> status = List.of("Name:\tjava", "VmHWM:\t  2048000 kB", "VmRSS:\t   1024 kB");
    assertEquals(2000.0, ProcessMemory.parse(status, "VmHWM"), 1e-9);
    assertEquals(1.0, ProcessMemory.parse(status, "VmRSS"), 1e-9);
    assertTrue(Double.isNaN(ProcessMemory.parse(status, "VmSwap")));
  }
}
