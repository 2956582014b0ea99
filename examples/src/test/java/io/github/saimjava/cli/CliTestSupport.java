package io.github.saimjava.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Runs the {@code saim} command line in-process and captures what it prints. */
final class CliTestSupport {
  /** The shared parity fixture, from saim-impl's test resources. */
  static final Path FIXTURE =
      Path.of("../saim-impl/src/test/resources/fixtures/reference-tiny-mlp-blur.safetensors");

  /**
   * The architecture of the tiny encoder most tests run: 32-pixel images in 8-pixel patches (16
   * positions), width 48, 2 blocks of 3 heads.
   */
  static final List<String> TINY =
      List.of(
          "--model",
          "tiny",
          "--img-size",
          "32",
          "--patch-size",
          "8",
          "--dim",
          "48",
          "--depth",
          "2",
          "--heads",
          "3");

  /** {@link #TINY}, randomly initialised. */
  static final List<String> RANDOM_TINY = List.of(args("--random-init", TINY));

  /**
   * A randomly initialised tiny encoder on 16-pixel images in 4-pixel patches (16 positions), width
   * 48, 2 blocks of 3 heads: the commands that draw or sum by position run it.
   */
  static final List<String> RANDOM_TINY_16 =
      List.of(
          "--random-init",
          "--model",
          "tiny",
          "--img-size",
          "16",
          "--patch-size",
          "4",
          "--depth",
          "2",
          "--heads",
          "3",
          "--dim",
          "48");

  record Result(int exitCode, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1];
    }
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = SaimCommand.newCommandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  /**
   * The words of a command line: each part as it prints ({@code String}, {@code Path}, numbers),
   * lists and arrays of them word by word, in order.
   */
  static String[] args(Object... parts) {
    List<String> out = new ArrayList<>();
    for (Object p : parts) {
      if (p instanceof Collection<?> c) {
        c.forEach(x -> out.add(String.valueOf(x)));
      } else if (p instanceof Object[] a) {
        for (Object x : a) {
          out.add(String.valueOf(x));
        }
      } else {
        out.add(String.valueOf(p));
      }
    }
    return out.toArray(String[]::new);
  }

  private CliTestSupport() {}
}
