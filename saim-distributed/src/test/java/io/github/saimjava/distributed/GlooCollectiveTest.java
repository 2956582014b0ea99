package io.github.saimjava.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Collectives between real JVMs on loopback, with a {@code file:} rendezvous in a temporary folder.
 */
class GlooCollectiveTest {
  static Process child(Path dir, int rank, int size, long timeoutMs, String mode, boolean torch)
      throws Exception {
    return child(dir, rank, size, timeoutMs, mode, torch, Map.of());
  }

  static Process child(
      Path dir,
      int rank,
      int size,
      long timeoutMs,
      String mode,
      boolean torch,
      Map<String, String> env)
      throws Exception {
    return child("file:" + dir, rank, size, timeoutMs, mode, torch, env);
  }

  static Process child(
      String rendezvous,
      int rank,
      int size,
      long timeoutMs,
      String mode,
      boolean torch,
      Map<String, String> env)
      throws Exception {
    return child("gloo", List.of(), rendezvous, rank, size, timeoutMs, mode, torch, env);
  }

  /**
   * A rank of {@code collective} ({@code java} or {@code gloo}) in its own JVM, started with {@code
   * jvmArgs}.
   */
  static Process child(
      String collective,
      List<String> jvmArgs,
      String rendezvous,
      int rank,
      int size,
      long timeoutMs,
      String mode,
      boolean torch,
      Map<String, String> env)
      throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=error",
                "-Dai.djl.offline=true",
                "-D" + Collectives.PROPERTY + "=" + collective));
    cmd.addAll(jvmArgs);
    cmd.addAll(
        List.of(
            CollectiveChild.class.getName(),
            rendezvous,
            Integer.toString(rank),
            Integer.toString(size),
            Long.toString(timeoutMs),
            mode));
    if (torch) {
      cmd.add("torch");
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PYTORCH_FLAVOR", "cpu");
    pb.environment().putAll(env);
    return pb.start();
  }

  static String output(Process p) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(3, TimeUnit.MINUTES), "child did not finish: " + out);
    return out;
  }

  static void needNative() {
    assumeTrue(GlooCollective.isAvailable(), GlooCollective.unavailableReason());
  }

  @Test
  void twoJvmsThatLoadedPyTorchFirstAllReduceBroadcastAndMeet(@TempDir Path dir) throws Exception {
    needNative();
    Process a = child(dir, 0, 2, 60_000, "check", true);
    Process b = child(dir, 1, 2, 60_000, "check", true);
    String outA = output(a);
    String outB = output(b);
    assertEquals(0, a.exitValue(), outA);
    assertEquals(0, b.exitValue(), outB);
    // the engine really was loaded (and used) before Gloo: 1 + 2
    assertTrue(outA.contains("torch 3.0") && outA.contains("ok"), outA);
    assertTrue(outB.contains("torch 3.0") && outB.contains("ok"), outB);
  }

  /**
   * Where the protection matters: libtorch_cpu.so loaded into the global scope (LD_PRELOAD here;
   * also what an embedding host or a launcher doing so would cause). Without RTLD_DEEPBIND, 335 of
   * the Gloo symbols that libgloo.so and our library use bound to torch's copy (seen with the
   * loader built without it); with it, none may. The dynamic linker's own log is the witness.
   */
  @Test
  void withLibtorchGlobalOurGlooCallsStillBindToDebiansGloo(@TempDir Path dir, @TempDir Path log)
      throws Exception {
    needNative();
    Path torch;
    try (NDManager m = Engine.getEngine("PyTorch").newBaseManager()) {
      m.create(1f).close();
      try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
        torch =
            Path.of(
                maps.filter(l -> l.endsWith("/libtorch_cpu.so"))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("libtorch_cpu.so is not mapped"))
                    .replaceAll(".* ", ""));
      }
    }
    Map<String, String> env =
        Map.of(
            "LD_PRELOAD",
            torch.toString(),
            "LD_DEBUG",
            "bindings",
            "LD_DEBUG_OUTPUT",
            log.resolve("ld").toString());
    Process a = child(dir, 0, 2, 60_000, "check", true, env);
    Process b = child(dir, 1, 2, 60_000, "check", true, Map.of("LD_PRELOAD", torch.toString()));
    String outA = output(a);
    String outB = output(b);
    assertEquals(0, a.exitValue(), outA);
    assertEquals(0, b.exitValue(), outB);
    long ours = 0;
    List<String> toTorch = new ArrayList<>();
    try (Stream<Path> files = Files.list(log)) {
      for (Path f : files.toList()) {
        try (Stream<String> lines = Files.lines(f)) {
          for (String l :
              lines
                  .filter(
                      l ->
                          l.contains("binding file ")
                              && (l.contains("/libgloo.so") || l.contains("/libsaim_gloo.so")))
                  .toList()) {
            ours++;
            // a symbol of namespace gloo (mangled "4gloo"); libstdc++'s process-wide unique
            // objects (std::_Sp_make_shared_tag) bind to the first loader whatever the flags
            if (l.contains("libtorch_cpu.so") && l.contains("4gloo")) {
              toTorch.add(l.trim());
            }
          }
        }
      }
    }
    System.out.println(
        "symbol bindings from libgloo.so and libsaim_gloo.so: "
            + ours
            + ", to torch's Gloo: "
            + toTorch.size());
    assertTrue(ours > 100, "the linker log holds " + ours + " bindings of our libraries");
    assertEquals(List.of(), toTorch);
  }

  @Test
  void threeRanksAndARelaunchInTheSameFolder(@TempDir Path dir) throws Exception {
    needNative();
    for (int launch = 0; launch < 2; launch++) {
      List<Process> ps = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        ps.add(child(dir, r, 3, 60_000, "check", false));
      }
      for (Process p : ps) {
        String out = output(p);
        assertEquals(0, p.exitValue(), "launch " + launch + ": " + out);
        assertTrue(out.contains("ok"), out);
      }
    }
  }

  @Test
  void threeRanksMeetThroughRankZerosTcpStoreWhicheverStartsFirst() throws Exception {
    needNative();
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    List<Process> ps = new ArrayList<>();
    // rank 0, which serves the store, starts last: the others retry until it answers
    for (int r = 2; r >= 0; r--) {
      ps.add(child("tcp://127.0.0.1:" + port, r, 3, 60_000, "check", false, Map.of()));
      Thread.sleep(r == 0 ? 0 : 1000);
    }
    for (Process p : ps) {
      String out = output(p);
      assertEquals(0, p.exitValue(), out);
      assertTrue(out.contains("ok"), out);
    }
  }

  @Test
  void aKilledRankStopsTheOtherWithinTheTimeOutNamingIt(@TempDir Path dir) throws Exception {
    needNative();
    long timeoutMs = 30_000;
    Process a = child(dir, 0, 2, timeoutMs, "wait", false);
    Process b = child(dir, 1, 2, timeoutMs, "wait", false);
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(b.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("connected")) {
        // wait until the mesh is up
      }
      Thread.sleep(500);
      b.destroyForcibly(); // SIGKILL
    }
    long killed = System.nanoTime();
    String out = output(a);
    double seconds = (System.nanoTime() - killed) / 1e9;
    assertEquals(3, a.exitValue(), out);
    String error =
        out.lines()
            .filter(l -> l.startsWith("error: "))
            .findFirst()
            .orElseThrow(() -> new AssertionError(out));
    System.out.printf("rank 0 stopped %.1f s after rank 1 was killed: %s%n", seconds, error);
    assertTrue(error.contains("rank 0 of 2") && error.contains("rank 1"), error);
    assertTrue(seconds < timeoutMs / 1000.0, "took " + seconds + " s");
  }

  @Test
  void aStoppedRankTimesTheOtherOutNamingIt(@TempDir Path dir) throws Exception {
    needNative();
    long timeoutMs = 3_000;
    Process a = child(dir, 0, 2, timeoutMs, "wait", false);
    Process b = child(dir, 1, 2, timeoutMs, "wait", false);
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(b.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("connected")) {
        // wait until the mesh is up
      }
      // SIGSTOP: alive, connections open, silent (a hung or swapped-out rank)
      assertEquals(
          0, new ProcessBuilder("kill", "-STOP", Long.toString(b.pid())).start().waitFor());
      long stopped = System.nanoTime();
      String out = output(a);
      double seconds = (System.nanoTime() - stopped) / 1e9;
      assertEquals(3, a.exitValue(), out);
      String error =
          out.lines()
              .filter(l -> l.startsWith("error: "))
              .findFirst()
              .orElseThrow(() -> new AssertionError(out));
      System.out.printf(
          "rank 0 stopped %.1f s after rank 1 was frozen (time-out 3 s): %s%n", seconds, error);
      assertTrue(
          error.contains("rank 0 of 2") && error.contains("rank 1 did not answer in time"), error);
      assertTrue(out.contains("peer 1 timeout true"), out);
      assertTrue(seconds < 3 * timeoutMs / 1000.0, "took " + seconds + " s");
    } finally {
      b.destroyForcibly();
    }
  }

  @Test
  void aRankAloneTimesOutInTheRendezvousNamingWhoIsMissing(@TempDir Path dir) {
    needNative();
    CollectiveException e =
        assertThrows(
            CollectiveException.class,
            () -> GlooCollective.connect("file:" + dir, 0, 2, "127.0.0.1", Duration.ofMillis(500)));
    assertEquals(
        "rank 0 of 2: rendezvous timed out after 500 ms: rank 1 did not join", e.getMessage());
    assertTrue(e.isTimeout());
  }

  @Test
  void badArgumentsAreRefusedWithTheValue() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> GlooCollective.connect("file:/tmp/x", 2, 2, "", Duration.ofSeconds(1)));
    assertEquals("rank (2) must be in 0 .. world size - 1 (world size 2)", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> GlooCollective.connect("udp://host:1", 0, 2, "", Duration.ofSeconds(1)));
    assertEquals(
        "rendezvous 'udp://host:1' is not file:DIR, redis://HOST:PORT/RUN or tcp://HOST:PORT",
        e.getMessage());
  }

  @Test
  void rendezvousForms() {
    assertEquals(
        new Rendezvous.Folder(Path.of("/shared/run")), Rendezvous.parse("file:/shared/run"));
    assertEquals(
        new Rendezvous.Redis("redis.local", 6379, "job42"),
        Rendezvous.parse("redis://redis.local:6379/job42"));
    assertThrows(
        IllegalArgumentException.class, () -> Rendezvous.parse("redis://redis.local:6379"));
    assertThrows(IllegalArgumentException.class, () -> Rendezvous.parse("file:"));
    assertEquals(new Rendezvous.Tcp("10.0.0.7", 29500), Rendezvous.parse("tcp://10.0.0.7:29500"));
    assertThrows(IllegalArgumentException.class, () -> Rendezvous.parse("tcp://10.0.0.7"));
  }
}
