package io.github.saimjava.cli;

import io.github.saimjava.benchmarks.reproduce.ReproduceCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code saim} program: SAIM pre-training, checks and tools from the command line. */
@Command(
    name = "saim",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description =
        "Self-supervised visual pre-training with SAIM (Stochastic Autoregressive Image Modeling).",
    subcommands = {
      PretrainCommand.class,
      EmbedCommand.class,
      ClassifyCommand.class,
      ExportCommand.class,
      EvaluateCommand.class,
      LinprobeCommand.class,
      KnnCommand.class,
      AttnprobeCommand.class,
      FinetuneCommand.class,
      BenchCommand.class,
      VisualizeCommand.class,
      LossByPositionCommand.class,
      ConvertCommand.class,
      ZooCommand.class,
      CheckReferenceCommand.class,
      ReproduceCommand.class,
      CommandLine.HelpCommand.class
    })
public final class SaimCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Runs the program; exits with the command's status. */
  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  /** The configured command line (also used by tests). */
  public static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new SaimCommand());
    cl.setExecutionExceptionHandler(new Errors());
    return cl;
  }
}
