package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code saim reproduce} is the benchmarks module's command (its smoke test runs there). */
class ReproduceCommandTest {
  @Test
  void isASubcommandWithItsOptions() {
    CliTestSupport.Result r = CliTestSupport.run("reproduce", "--help");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(
        r.out().contains("Usage: saim reproduce")
            && r.out().contains("--quick")
            && r.out().contains("--variants"),
        r.out());
  }

  @Test
  void tableRecordsTheCommandAsTyped(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    CliTestSupport.Result r =
        CliTestSupport.run(
            "reproduce",
            "--quick",
            "--variants",
            "random",
            "--output",
            tmp.resolve("run").toString(),
            "--results",
            tmp.toString(),
            "--threads",
            "1");
    assertEquals(0, r.exitCode(), r.err());
    String md = java.nio.file.Files.readString(tmp.resolve("fmnist-small-quick.md"));
    assertTrue(md.contains("- command: `saim reproduce --quick --variants random --output "), md);
  }

  @Test
  void badVariantIsOneLineAndExitCode2() {
    CliTestSupport.Result r =
        CliTestSupport.run("reproduce", "--variants", "random,mae", "--report-only");
    assertEquals(Errors.BAD_INPUT, r.exitCode(), r.out());
    assertEquals(
        "saim: error: unknown variant 'mae' (expected random, raster, stochastic, noblur or"
            + " shared)",
        r.err().strip());
  }
}
