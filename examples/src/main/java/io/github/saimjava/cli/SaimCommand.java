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

  /**
   * The levels {@code --verbose} sets, as slf4j-simple's system properties: they take precedence
   * over {@code simplelogger.properties} (warnings and errors only, DJL's CUDA probe hidden), and
   * are read when the first logger is made, which is after the command line is parsed.
   */
  static final java.util.Map<String, String> VERBOSE =
      java.util.Map.of(
          "org.slf4j.simpleLogger.defaultLogLevel", "info",
          "org.slf4j.simpleLogger.log.io.github.saimjava", "debug",
          "org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "info");

  @CommandLine.Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description =
          "Also log what is quiet by default: DJL's information (engine, CUDA probe) and this"
              + " program's details (such as checkpoint tensors an encoder does not use).")
  void verbose(boolean on) {
    if (on) {
      VERBOSE.forEach(System::setProperty);
    }
  }

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
    // plain text: the help is wrapped by its visible length (WholeWordHelp)
    cl.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
    WholeWordHelp.apply(cl);
    return cl;
  }
}
