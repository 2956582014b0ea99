package io.github.saimjava.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The {@code spark-submit} job for pre-training across executors: one rank per barrier task ({@link
 * BarrierLaunch}), each running {@code --main} (by default the {@code saim} program, from the
 * {@code saim.jar} given to {@code --jars}) with the arguments after {@code --}, which should
 * include {@code pretrain ... --rendezvous env}.
 */
@Command(
    name = "saim-spark-pretrain",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    versionProvider = EmbedJob.Version.class,
    description = {
      "Runs the ranks of a data-parallel pre-training as one Spark barrier stage: all ranks start"
          + " together, ",
      "meet through RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (saim pretrain --rendezvous env),"
          + " and a ",
      "failed rank fails the stage.",
      "Example: spark-submit --class io.github.saimjava.spark.PretrainJob --jars saim.jar"
          + " saim-spark-job.jar \\",
      "  --world-size 4 -- pretrain --data /shared/images --batch-size 256 --rendezvous env"
          + " --output /shared/run1"
    })
public final class PretrainJob implements Callable<Integer> {
  @Option(
      names = "--world-size",
      required = true,
      paramLabel = "N",
      description =
          "Ranks (barrier tasks); the cluster must be able to run all at once, one per executor is"
              + " best.")
  int worldSize;

  @Option(
      names = "--main",
      paramLabel = "CLASS",
      description = "The rank's main class (default: ${DEFAULT-VALUE}).")
  String mainClass = "io.github.saimjava.cli.SaimCommand";

  @Parameters(paramLabel = "ARGS", description = "The rank's arguments (after --).")
  List<String> rankArgs = new ArrayList<>();

  public static void main(String[] args) {
    int code = new CommandLine(new PretrainJob()).execute(args);
    scala.Option<SparkSession> session = SparkSession.getDefaultSession();
    if (session.isDefined()) {
      session.get().stop();
    }
    System.exit(code);
  }

  @Override
  public Integer call() {
    SparkSession spark = SparkSession.builder().appName("saim-spark-pretrain").getOrCreate();
    List<String> last = BarrierLaunch.run(spark, worldSize, mainClass, rankArgs);
    for (int r = 0; r < last.size(); r++) {
      System.out.println("rank " + r + ": " + last.get(r));
    }
    return 0;
  }
}
