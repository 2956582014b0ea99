package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.api.Augmentation;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimTrainer;
import io.github.saimjava.distributed.GlooCollective;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel pre-training across JVMs on loopback, with a {@code file:} rendezvous in a
 * temporary folder: the ranks together do what one process does with the same global batch.
 */
class DistributedTrainingTest {
  static final SaimConfig TINY =
      SaimConfig.vitTiny().toBuilder()
          .imageSize(32)
          .patchSize(8)
          .width(32)
          .depth(2)
          .heads(2)
          .queryDepth(2)
          .blur(3, 1)
          .build();
  static final int BATCH = 12;
  static final long STEPS = 20;

  /**
   * Largest relative L2 difference allowed per tensor between the ranks' and the single run's
   * weights.
   */
  static final double TOLERANCE = 1e-4;

  static Path single;

  /** The run every test compares with: one process, the whole global batch of 12. */
  @BeforeAll
  static void singleProcessRun(@TempDir Path dir) throws Exception {
    single = dir;
    trainer(dir, STEPS).build().fit();
  }

  static SaimTrainer.Builder trainer(Path out, long steps) {
    return SaimTrainer.builder()
        .config(TINY)
        .batchSize(BATCH)
        .epochs(1)
        .maxSteps(steps)
        .lr(2e-3)
        .clipGrad(1.0)
        .seed(5)
        .threads(1)
        .loaderThreads(1)
        .augmentation(Augmentation.RANDOM_RESIZED_CROP)
        .outputDir(out)
        .logEvery(1);
  }

  /**
   * A JVM where Gloo's native library cannot load (no library path, its folder missing) and the
   * collective is left to its default: what a node with nothing but a JRE has.
   */
  static final List<String> NO_GLOO =
      List.of("-Djava.library.path=", "-Dsaim.gloo.native.dir=/nonexistent/saim-gloo");

  /** The Gloo collective, asked for. */
  static final List<String> GLOO = List.of("-Dsaim.collective=gloo");

  static Process rank(
      Path out, int rank, int size, Path rendezvous, long steps, long every, long timeoutMs)
      throws Exception {
    return rank(out, rank, size, rendezvous, steps, every, timeoutMs, NO_GLOO);
  }

  static Process rank(
      Path out,
      int rank,
      int size,
      Path rendezvous,
      long steps,
      long every,
      long timeoutMs,
      List<String> jvmArgs)
      throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                "-Dai.djl.offline=true"));
    cmd.addAll(jvmArgs);
    cmd.addAll(
        List.of(
            DistributedTrainChild.class.getName(),
            out.toString(),
            Integer.toString(rank),
            Integer.toString(size),
            "file:" + rendezvous,
            Long.toString(steps),
            Long.toString(every),
            Long.toString(timeoutMs)));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PYTORCH_FLAVOR", "cpu");
    return pb.start();
  }

  static String finish(Process p) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(5, TimeUnit.MINUTES), "rank did not finish: " + out);
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  /**
   * Runs {@code size} ranks to the end, each with no Gloo it could load; returns what rank 0
   * printed.
   */
  static String runRanks(Path dir, int size, long steps) throws Exception {
    String out = runRanks(dir, size, steps, NO_GLOO);
    assertTrue(out.contains("collective java, gloo loadable false"), out);
    return out;
  }

  /** Runs {@code size} ranks to the end, started with {@code jvmArgs}; returns rank 0's output. */
  static String runRanks(Path dir, int size, long steps, List<String> jvmArgs) throws Exception {
    List<Process> ps = new ArrayList<>();
    for (int r = 0; r < size; r++) {
      ps.add(
          rank(
              dir.resolve("out" + r),
              r,
              size,
              dir.resolve("rendezvous"),
              steps,
              5,
              60_000,
              jvmArgs));
    }
    List<String> outs = new ArrayList<>();
    for (Process p : ps) {
      outs.add(finish(p));
      assertTrue(outs.get(outs.size() - 1).contains("finished"), outs.get(outs.size() - 1));
    }
    return outs.get(0);
  }

  /**
   * Asserts every tensor's relative L2 difference is at most {@link #TOLERANCE}; returns the
   * largest.
   */
  static double assertSameWeights(Path want, Path got) throws Exception {
    Map<String, HostTensor> a = SafeTensors.read(want).tensors();
    Map<String, HostTensor> b = SafeTensors.read(got).tensors();
    assertEquals(a.keySet(), b.keySet());
    double worst = 0;
    String worstName = "";
    for (String k : a.keySet()) {
      float[] x = a.get(k).toFloatArray();
      float[] y = b.get(k).toFloatArray();
      double diff = 0;
      double norm = 0;
      for (int i = 0; i < x.length; i++) {
        diff += (x[i] - y[i]) * (double) (x[i] - y[i]);
        norm += x[i] * (double) x[i];
      }
      if (k.endsWith(".attn.k.bias")) {
        // The key bias adds q.b_k to every score of a query, which softmax ignores: its gradient
        // is zero up to rounding, and AdamW turns that noise into steps of about lr x 1e-2. Its
        // values are rounding noise (norm ~1e-4, the other tensors ~1e-1) that no two summation
        // orders share, distributed or not; they must stay that small, not equal.
        assertTrue(
            Math.sqrt(norm) < 1e-3 && Math.sqrt(diff) < 1e-3,
            k + ": norm " + Math.sqrt(norm) + ", difference " + Math.sqrt(diff));
        continue;
      }
      double rel = norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
      assertTrue(rel <= TOLERANCE, k + ": relative difference " + rel);
      if (rel >= worst) {
        worst = rel;
        worstName = k;
      }
    }
    System.out.printf(
        "largest relative L2 difference per tensor: %.2e (%s) over %d tensors (key biases aside)%n",
        worst, worstName, a.size());
    return worst;
  }

  /**
   * The run a node with only a JRE can do: in each rank Gloo's native library cannot load, and the
   * collective is the default plain-Java one.
   */
  @Test
  void twoRanksWhereGlooCannotLoadEndWithTheWeightsOfOneProcess(@TempDir Path dir)
      throws Exception {
    runRanks(dir, 2, STEPS);
    Path out0 = dir.resolve("out0");
    assertSameWeights(single.resolve(RunFolder.FINAL), out0.resolve(RunFolder.FINAL));
    // rank 0 alone writes
    assertTrue(Files.exists(out0.resolve(RunFolder.METRICS)));
    assertTrue(!Files.exists(dir.resolve("out1")), "rank 1 wrote its output folder");
    assertEquals(
        Files.readAllLines(single.resolve(RunFolder.METRICS)).size(),
        Files.readAllLines(out0.resolve(RunFolder.METRICS)).size());
    assertAllReduceProfiled(out0.resolve(RunFolder.METRICS));
  }

  static final List<String> PROFILE_PARTS =
      List.of(
          "allreduce_copy_out_s",
          "allreduce_wait_s",
          "allreduce_wire_s",
          "allreduce_reduce_s",
          "allreduce_copy_in_s");

  /**
   * Every step line of a run of several ranks splits its all-reduce: the parts are there, not
   * negative, and add up to {@code allreduce_s} (each is rounded to a microsecond); the ring spends
   * time on the wire. One process has no all-reduce and no such fields.
   */
  static void assertAllReduceProfiled(Path metrics) throws Exception {
    List<JsonObject> steps = stepLines(metrics);
    assertEquals(STEPS, steps.size());
    double wire = 0;
    for (JsonObject o : steps) {
      double total = o.get("allreduce_s").getAsDouble();
      double sum = 0;
      for (String part : PROFILE_PARTS) {
        assertTrue(o.has(part), part + " missing: " + o);
        double v = o.get(part).getAsDouble();
        assertTrue(v >= 0, part + " negative: " + o);
        sum += v;
      }
      assertEquals(total, sum, 6e-6, "the parts do not add up to allreduce_s: " + o);
      wire += o.get("allreduce_wire_s").getAsDouble();
    }
    assertTrue(wire > 0, "no time on the wire in " + STEPS + " steps");
    for (JsonObject o : stepLines(single.resolve(RunFolder.METRICS))) {
      assertTrue(!o.has("allreduce_s"), "one process has no all-reduce: " + o);
    }
  }

  static List<JsonObject> stepLines(Path metrics) throws Exception {
    return Files.readAllLines(metrics).stream()
        .map(l -> JsonParser.parseString(l).getAsJsonObject())
        .filter(o -> o.get("type").getAsString().equals("step"))
        .toList();
  }

  @Test
  void twoRanksOnGlooEndWithTheWeightsOfOneProcess(@TempDir Path dir) throws Exception {
    assumeTrue(GlooCollective.isAvailable(), GlooCollective.unavailableReason());
    String out = runRanks(dir, 2, STEPS, GLOO);
    assertTrue(out.contains("collective gloo, gloo loadable true"), out);
    assertSameWeights(
        single.resolve(RunFolder.FINAL), dir.resolve("out0").resolve(RunFolder.FINAL));
  }

  @Test
  void threeRanksEndWithTheWeightsOfOneProcess(@TempDir Path dir) throws Exception {
    runRanks(dir, 3, STEPS);
    Path out0 = dir.resolve("out0");
    assertSameWeights(single.resolve(RunFolder.FINAL), out0.resolve(RunFolder.FINAL));
  }

  @Test
  void aKilledRankStopsTheOtherNamingItThenAllRanksResume(@TempDir Path dir) throws Exception {
    long timeoutMs = 30_000;
    Path rendezvous = dir.resolve("rendezvous");
    Process r0 = rank(dir.resolve("out0"), 0, 2, rendezvous, STEPS, 5, timeoutMs);
    Process r1 = rank(dir.resolve("out1"), 1, 2, rendezvous, STEPS, 5, timeoutMs);
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(r1.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null && !line.equals("step 7")) {
        // train past the checkpoint of step 5
      }
      r1.destroyForcibly(); // SIGKILL
    }
    long killed = System.nanoTime();
    String out = new String(r0.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(r0.waitFor(2, TimeUnit.MINUTES));
    double seconds = (System.nanoTime() - killed) / 1e9;
    assertEquals(3, r0.exitValue(), out);
    List<String> errors = out.lines().filter(l -> l.startsWith("error: ")).toList();
    assertEquals(1, errors.size(), out);
    System.out.printf(
        "rank 0 stopped %.1f s after rank 1 was killed: %s%n", seconds, errors.get(0));
    assertTrue(
        errors.get(0).contains("rank 0 of 2") && errors.get(0).contains("lost rank 1"),
        errors.get(0));
    assertTrue(seconds < timeoutMs / 1000.0, "took " + seconds + " s");
    // the last checkpoint is whole: the one of step 5 (or 10, if rank 0 got that far)
    Path ckpt = dir.resolve("out0").resolve(RunFolder.CHECKPOINT);
    long at = Long.parseLong(SafeTensors.read(ckpt).metadata().get("step"));
    assertTrue(at == 5 || at == 10, "checkpoint of step " + at);
    // all ranks restarted: they resume from rank 0's checkpoint and end where one process ends
    String printed = runRanks(dir, 2, STEPS);
    assertEquals(
        "step " + (at + 1),
        printed.lines().filter(l -> l.startsWith("step ")).findFirst().orElse(""),
        printed);
    Path out0 = dir.resolve("out0");
    assertSameWeights(single.resolve(RunFolder.FINAL), out0.resolve(RunFolder.FINAL));
    String metrics = Files.readString(out0.resolve(RunFolder.METRICS));
    assertEquals(STEPS, metrics.lines().count(), metrics);
  }
}
