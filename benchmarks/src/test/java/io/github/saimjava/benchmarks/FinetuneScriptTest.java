package io.github.saimjava.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@code fmnist-finetune.sh}'s allocator setting (benchmarks/NOTES.md, "where a fine-tuning epoch's
 * time goes"): glibc keeps each step's freed activations for the next step instead of returning
 * them to the kernel. The tunables only work together: {@code trim_threshold} alone also fixes the
 * mmap threshold at 128 KiB, which maps every activation afresh (20 times the page faults of the
 * default), and without one arena the secondary arena's heaps are still unmapped.
 */
class FinetuneScriptTest {
  private static final Path SCRIPT = Path.of("fmnist-finetune.sh");

  /**
   * The recipe's largest activation, the MLP's hidden layer: batch 128 x 65 tokens x 512 float32
   * values. Below the mmap threshold, it comes from (and returns to) the heap.
   */
  private static final long LARGEST_ACTIVATION = 128L * 65 * 512 * Float.BYTES;

  /** glibc's cap on the mmap threshold on 64-bit systems: half its 64 MiB heap size. */
  private static final long MAX_ACCEPTED_MMAP_THRESHOLD = 32L << 20;

  private static String exportLine() throws IOException {
    assertTrue(Files.isRegularFile(SCRIPT), SCRIPT.toAbsolutePath() + " not found");
    List<String> lines =
        Files.readAllLines(SCRIPT, StandardCharsets.UTF_8).stream()
            .filter(l -> l.startsWith("export GLIBC_TUNABLES="))
            .toList();
    assertEquals(1, lines.size(), "one export of GLIBC_TUNABLES in " + SCRIPT + ": " + lines);
    return lines.get(0);
  }

  /** What the script's export line leaves in GLIBC_TUNABLES, run by bash. */
  private static String tunablesAfterExport(@Nullable String callerValue) throws Exception {
    Path bash = Path.of("/bin/bash");
    assumeTrue(Files.isExecutable(bash), "needs bash");
    ProcessBuilder pb =
        new ProcessBuilder(bash.toString(), "-c", exportLine() + "\nprintf %s \"$GLIBC_TUNABLES\"");
    Map<String, String> env = pb.environment();
    env.remove("GLIBC_TUNABLES");
    if (callerValue != null) {
      env.put("GLIBC_TUNABLES", callerValue);
    }
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bash did not finish");
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static Map<String, Long> parse(String tunables) {
    Map<String, Long> m = new HashMap<>();
    for (String part : tunables.split(":")) {
      String[] kv = part.split("=", 2);
      assertEquals(2, kv.length, "tunable '" + part + "' in " + tunables);
      m.put(kv[0], Long.parseLong(kv[1]));
    }
    return m;
  }

  @Test
  void defaultKeepsFreedActivationsOnTheHeap() throws Exception {
    Map<String, Long> t = parse(tunablesAfterExport(null));
    Long mmap = t.get("glibc.malloc.mmap_threshold");
    Long trim = t.get("glibc.malloc.trim_threshold");
    assertTrue(mmap != null && trim != null, "both thresholds, never trim alone: " + t);
    assertTrue(
        mmap > LARGEST_ACTIVATION,
        "mmap_threshold " + mmap + " must exceed the largest activation " + LARGEST_ACTIVATION);
    // a glibc that rejected a larger value would keep trim_threshold alone: the worst case
    assertTrue(
        mmap <= MAX_ACCEPTED_MMAP_THRESHOLD,
        "mmap_threshold " + mmap + " above what every glibc accepts (32 MiB)");
    assertTrue(trim >= mmap, "trim_threshold " + trim + " below mmap_threshold " + mmap);
    // the JVM's main thread would otherwise allocate from a secondary arena, whose 64 MB heaps
    // glibc unmaps when wholly free, whatever the trim threshold
    assertEquals(1L, t.get("glibc.malloc.arena_max"), "one arena: " + t);
  }

  @Test
  void callerSettingIsKept() throws Exception {
    assertEquals("glibc.malloc.arena_max=2", tunablesAfterExport("glibc.malloc.arena_max=2"));
  }

  @Test
  void exportedBeforeTheFirstJavaRunAfterTheBuild() throws IOException {
    String s = Files.readString(SCRIPT, StandardCharsets.UTF_8);
    int export = s.indexOf(exportLine());
    // the build (mvn) keeps glibc's defaults; every java run of the script gets the setting
    assertTrue(s.indexOf("mvn -q") < export, "the setting comes after the build");
    assertTrue(export < s.indexOf("java -Xmx"), "the setting comes before the first java run");
  }
}
