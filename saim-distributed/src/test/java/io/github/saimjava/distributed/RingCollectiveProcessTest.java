package io.github.saimjava.distributed;

import static io.github.saimjava.distributed.GlooCollectiveTest.child;
import static io.github.saimjava.distributed.GlooCollectiveTest.output;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plain-Java collective between real JVMs on loopback, with nothing native: each child runs
 * with an empty {@code java.library.path} and a Gloo folder that does not exist, so it could not
 * load Gloo if it tried.
 */
class RingCollectiveProcessTest {
  /** No native library reachable: what a node with a bare JRE has. */
  static final List<String> NO_NATIVE =
      List.of("-Djava.library.path=", "-Dsaim.gloo.native.dir=/nonexistent/saim-gloo");

  static Process rank(String rendezvous, int rank, int size, long timeoutMs, String mode)
      throws Exception {
    return child("java", NO_NATIVE, rendezvous, rank, size, timeoutMs, mode, false, Map.of());
  }

  @Test
  void threeJvmsAllReduceBroadcastMeetAndRelaunchInTheSameFolder(@TempDir Path dir)
      throws Exception {
    for (int launch = 0; launch < 2; launch++) {
      List<Process> ps = new ArrayList<>();
      for (int r = 0; r < 3; r++) {
        ps.add(rank("file:" + dir, r, 3, 60_000, "check"));
      }
      for (Process p : ps) {
        String out = output(p);
        assertEquals(0, p.exitValue(), "launch " + launch + ": " + out);
        assertTrue(out.contains("ok"), out);
      }
    }
  }

  @Test
  void threeJvmsMeetThroughRankZerosTcpStoreWhicheverStartsFirst() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    List<Process> ps = new ArrayList<>();
    for (int r = 2; r >= 0; r--) {
      ps.add(rank("tcp://127.0.0.1:" + port, r, 3, 60_000, "check"));
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
    long timeoutMs = 30_000;
    Process a = rank("file:" + dir, 0, 2, timeoutMs, "wait");
    Process b = rank("file:" + dir, 1, 2, timeoutMs, "wait");
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(b.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("connected")) {
        // wait until the ring is up
      }
      Thread.sleep(500);
      b.destroyForcibly(); // SIGKILL
    }
    long killed = System.nanoTime();
    String out = output(a);
    double seconds = (System.nanoTime() - killed) / 1e9;
    assertEquals(3, a.exitValue(), out);
    List<String> errors = out.lines().filter(l -> l.startsWith("error: ")).toList();
    assertEquals(1, errors.size(), out);
    System.out.printf("rank 0 stopped %.1f s after rank 1 was killed: %s%n", seconds, errors);
    assertTrue(
        errors
            .get(0)
            .startsWith(
                "error: rank 0 of 2: all-reduce of 1048576 floats failed: lost"
                    + " rank 1 (its connection closed: it stopped or died)"),
        errors.get(0));
    assertTrue(out.contains("peer 1 timeout false"), out);
    assertTrue(seconds < timeoutMs / 1000.0, "took " + seconds + " s");
  }

  @Test
  void aStoppedRankTimesTheOtherOutNamingIt(@TempDir Path dir) throws Exception {
    long timeoutMs = 3_000;
    Process a = rank("file:" + dir, 0, 2, timeoutMs, "wait");
    Process b = rank("file:" + dir, 1, 2, timeoutMs, "wait");
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(b.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null && !line.startsWith("connected")) {
        // wait until the ring is up
      }
      // SIGSTOP: alive, connections open, silent (a hung or swapped-out rank)
      assertEquals(
          0, new ProcessBuilder("kill", "-STOP", Long.toString(b.pid())).start().waitFor());
      long stopped = System.nanoTime();
      String out = output(a);
      double seconds = (System.nanoTime() - stopped) / 1e9;
      assertEquals(3, a.exitValue(), out);
      List<String> errors = out.lines().filter(l -> l.startsWith("error: ")).toList();
      assertEquals(1, errors.size(), out);
      System.out.printf(
          "rank 0 stopped %.1f s after rank 1 was frozen (time-out 3 s): %s%n", seconds, errors);
      assertTrue(
          errors.get(0).contains("rank 0 of 2")
              && errors.get(0).contains("rank 1 did not answer in time"),
          errors.get(0));
      assertTrue(out.contains("peer 1 timeout true"), out);
      assertTrue(seconds < 3 * timeoutMs / 1000.0, "took " + seconds + " s");
    } finally {
      b.destroyForcibly();
    }
  }

  @Test
  void glooAskedForWhereItCannotLoadIsOneLine(@TempDir Path dir) throws Exception {
    Process p = child("gloo", NO_NATIVE, "file:" + dir, 0, 2, 5_000, "check", false, Map.of());
    String out = output(p);
    assertEquals(2, p.exitValue(), out);
    assertEquals(1, out.lines().count(), out);
    assertTrue(
        out.startsWith(
            "error: -Dsaim.collective=gloo asks for Gloo, which is not available: the native Gloo"
                + " library could not be loaded: "),
        out);
    assertTrue(
        out.strip()
            .endsWith(
                "leave saim.collective unset for the Java collective, which"
                    + " needs nothing installed"),
        out);
  }
}
