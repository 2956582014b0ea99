package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At default levels a command prints its own output only: no DJL information, no CUDA probe, no
 * note on the query stream a zoo encoder does not have; {@code --verbose} brings the details back.
 * Run as a separate program, since logging is set up once per JVM.
 */
class QuietLogsTest {
  private static String saim(Path dir, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Dai.djl.offline=true",
                "-Dsaim.cache.dir=" + dir.resolve("cache"),
                SaimCommand.class.getName()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PYTORCH_FLAVOR", "cpu");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  private static String[] embed(Path dir, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "embed",
                "--zoo",
                "saim_vit_micro_patch4_32_fmnist",
                "--data",
                FolderRulesTest.TINY.resolve("images").toString(),
                "--threads",
                "1",
                "--output",
                dir.resolve("e.safetensors").toString()));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  @Test
  void aZooEncoderEmbedsQuietlyAndVerboseBringsTheDetailsBack(@TempDir Path dir) throws Exception {
    String quiet = saim(dir, embed(dir));
    List<String> lines = quiet.strip().lines().toList();
    assertEquals(1, lines.size(), quiet);
    assertTrue(lines.get(0).startsWith("wrote "), quiet);

    String verbose = saim(dir, embed(dir, "--verbose"));
    assertTrue(verbose.contains("[DEBUG]"), verbose);
    assertTrue(verbose.contains("not in the checkpoint, unused by the encoder: "), verbose);
  }
}
