package io.github.saimjava.spark;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import scala.Function1;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;

/**
 * Data-parallel pre-training launched by Spark in barrier mode, as torchrun would launch it: one
 * barrier task per rank, all scheduled together (or none). Rank 0's task picks a free port on its
 * executor; {@code BarrierTaskContext.allGather} gives every task rank 0's address; each task then
 * runs its rank as a child JVM of its executor with {@code RANK}, {@code WORLD_SIZE}, {@code
 * MASTER_ADDR}, {@code MASTER_PORT} and {@code SAIM_RENDEZVOUS_SECRET} (new for each launch) set,
 * so the rank meets the others through the {@code env} rendezvous ({@code saim pretrain
 * --rendezvous env}, or {@code Distributed.fromEnvironment(System.getenv())} from code).
 *
 * <p>A child JVM per rank, not the task's own thread: DJL allows one gradient collector per
 * process, so ranks sharing an executor (and {@code local[N]}) need processes of their own, and a
 * rank's native memory leaves with it. The child's class path is the executor's (its class path and
 * the jars Spark added for the job). When a rank fails, its task fails with the exit code, Spark
 * fails the barrier stage, and the other tasks' children are stopped.
 */
public final class BarrierLaunch {
  private BarrierLaunch() {}

  /**
   * Runs {@code worldSize} ranks of {@code mainClass args} as one barrier stage and returns when
   * all have exited with status 0. When a rank fails, Spark fails the stage and this throws what
   * Spark throws (a {@code SparkException} whose message holds the failed rank, its exit code and
   * its last line).
   *
   * @return what each rank printed last (one line per rank, by rank)
   * @throws IllegalArgumentException when {@code worldSize} is not positive
   */
  public static List<String> run(
      SparkSession spark, int worldSize, String mainClass, List<String> args) {
    if (worldSize < 1) {
      throw new IllegalArgumentException("world size (" + worldSize + ") must be positive");
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    RDD<Integer> ranks =
        jsc.parallelize(IntStream.range(0, worldSize).boxed().toList(), worldSize).rdd();
    List<String> argList = new ArrayList<>(args);
    Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>> task =
        (Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<String>>
                & Serializable)
            it ->
                CollectionConverters.asScala(
                    List.of(runRank(worldSize, mainClass, argList)).iterator());
    RDD<String> done =
        ranks.barrier().mapPartitions(task, false, ClassTag$.MODULE$.apply(String.class));
    return done.toJavaRDD().collect();
  }

  private static String runRank(int worldSize, String mainClass, List<String> args) {
    BarrierTaskContext ctx = BarrierTaskContext.get();
    int rank = ctx.partitionId();
    String mine = "";
    if (rank == 0) {
      String address = ctx.getTaskInfos()[0].address();
      String host =
          address.contains(":") ? address.substring(0, address.lastIndexOf(':')) : address;
      // the rendezvous store's secret, new for each launch: only this job's ranks may speak to it
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      mine = HexFormat.of().formatHex(secret) + " " + host + ":" + freePort();
    }
    String[] gathered = ctx.allGather(mine)[0].split(" ", 2);
    String master = gathered[1];
    int colon = master.lastIndexOf(':');
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classPath(),
                mainClass));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("RANK", Integer.toString(rank));
    env.put("WORLD_SIZE", Integer.toString(worldSize));
    env.put("MASTER_ADDR", master.substring(0, colon));
    env.put("MASTER_PORT", master.substring(colon + 1));
    env.put("SAIM_RENDEZVOUS_SECRET", gathered[0]);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "rank " + rank + ": cannot start " + mainClass + ": " + e.getMessage(), e);
    }
    String last = "";
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        System.out.println("[rank " + rank + "] " + line);
        if (!line.isBlank()) {
          last = line;
        }
      }
      int code = p.waitFor();
      if (code != 0) {
        throw new IllegalStateException(
            String.format(
                Locale.ROOT, "rank %d of %d exited with code %d: %s", rank, worldSize, code, last));
      }
      return last;
    } catch (IOException e) {
      throw new UncheckedIOException("rank " + rank + ": lost its output: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      // Spark stops the other tasks of a failed barrier stage by interrupting them
      Thread.currentThread().interrupt();
      throw new IllegalStateException(
          "rank " + rank + " stopped: the barrier stage was cancelled", e);
    } finally {
      p.destroyForcibly();
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port for the rendezvous: " + e.getMessage(), e);
    }
  }

  /** The executor's class path and the jars Spark added to the task's class loaders. */
  static String classPath() {
    Set<String> entries =
        new LinkedHashSet<>(
            List.of(System.getProperty("java.class.path").split(File.pathSeparator)));
    for (ClassLoader l = Thread.currentThread().getContextClassLoader();
        l != null;
        l = l.getParent()) {
      if (l instanceof URLClassLoader u) {
        for (URL url : u.getURLs()) {
          if (url.getProtocol().equals("file")) {
            try {
              entries.add(Path.of(url.toURI()).toString());
            } catch (URISyntaxException e) {
              // not a path: skip it
            }
          }
        }
      }
    }
    return String.join(File.pathSeparator, entries);
  }
}
