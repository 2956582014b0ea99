package io.github.saimjava.cli;

import io.github.saimjava.train.ReferenceCheck;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code saim check-reference FILE}: one training step against a reference fixture. */
@Command(
    name = "check-reference",
    mixinStandardHelpOptions = true,
    description = {
      "Checks one training step against a reference fixture.",
      "Rebuilds the model a reference fixture describes, loads its parameters, runs the forward"
          + " and",
      "backward pass and one AdamW step, and prints the relative error of each quantity.",
      "Exit code 0 iff every quantity is within the tolerance."
    })
final class CheckReferenceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "Fixture in the reference safetensors format.")
  Path file;

  @Override
  public Integer call() throws Exception {
    ReferenceCheck.Report r = ReferenceCheck.run(file);
    PrintWriter out = spec.commandLine().getOut();
    out.println("config " + r.config());
    for (ReferenceCheck.Quantity q : r.quantities()) {
      out.printf(Locale.ROOT, "%-58s %.3e%n", q.name(), q.relativeError());
    }
    if (!r.noiseGradients().isEmpty()) {
      out.println(
          "rounding-noise gradients (exactly zero in exact arithmetic; measured against the"
              + " whole gradient): "
              + String.join(", ", r.noiseGradients()));
    }
    out.printf(
        Locale.ROOT,
        "max relative error %.3e (tolerance %s)%n",
        r.maxRelativeError(),
        toleranceText());
    out.flush();
    return r.passed() ? 0 : 1;
  }

  static String toleranceText() {
    return String.format(Locale.ROOT, "%.0e", ReferenceCheck.TOLERANCE);
  }
}
