package io.github.saimjava.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Runs the {@code saim} command line in-process and captures what it prints. */
final class CliTestSupport {
  /** The shared parity fixture, from saim-impl's test resources. */
  static final Path FIXTURE =
      Path.of("../saim-impl/src/test/resources/fixtures/reference-tiny-mlp-blur.safetensors");

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

  private CliTestSupport() {}
}
