package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache's lock: concurrent pulls of one name run one after the other, each sees its own entry
 * installed while it holds the lock (what {@code saim zoo pull} prints), and what a killed pull
 * left in {@code staging/} is cleared by the next.
 */
class ZooCacheLockTest {
  final List<String> registered = new ArrayList<>();

  @AfterEach
  void forget() {
    registered.forEach(SaimZoo::remove);
  }

  ZooArtifact fineTuned() {
    ZooArtifact a =
        new ZooArtifact(
            "test_lock_ft",
            "a test artifact",
            ZooDownloadTest.CLS,
            ZooDownloadTest.MEAN,
            ZooDownloadTest.STD,
            "this test",
            "test_lock_ft.safetensors",
            null,
            null,
            null,
            ZooArtifact.Kind.FINETUNED,
            10);
    SaimZoo.add(a);
    registered.add(a.name());
    return a;
  }

  static List<Path> filesUnder(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  @Test
  void whatAKilledPullLeftInStagingIsClearedByTheNext(@TempDir Path dir) throws Exception {
    ZooArtifact a = fineTuned();
    Path file = Files.write(dir.resolve("finetune.pth"), ZooDownloadTest.fixture("finetune.pth"));
    Path cache = dir.resolve("cache");
    Path staging = Files.createDirectories(cache.resolve("staging"));
    Files.write(staging.resolve("test_lock_ft-123.safetensors.tmp"), new byte[100_000]);
    Files.write(staging.resolve("test_lock_ft-input-456.pth"), new byte[10]);
    SaimZoo.Imported got = new SaimZoo(new ArtifactCache(cache), line -> {}).pull(a, file);
    assertTrue(Files.isRegularFile(got.entry().weights()));
    assertEquals(List.of(), filesUnder(staging));
  }

  @Test
  void concurrentPullsOfOneNameRunOneAfterTheOtherEachSeeingItsOwnEntry(@TempDir Path dir)
      throws Exception {
    ZooArtifact a = fineTuned();
    Path first = Files.write(dir.resolve("first.pth"), ZooDownloadTest.fixture("finetune.pth"));
    // another checkpoint of the same layout: one weight of the head changed
    Path cache = dir.resolve("cache");
    Path converted =
        new SaimZoo(new ArtifactCache(dir.resolve("scratch")), line -> {})
            .pull(a, first)
            .entry()
            .weights();
    byte[] bytes = Files.readAllBytes(converted);
    bytes[bytes.length - 1] ^= 0x10;
    Path second = Files.write(dir.resolve("second.safetensors"), bytes);

    int pulls = 4;
    CyclicBarrier start = new CyclicBarrier(pulls);
    List<long[]> intervals = new java.util.concurrent.CopyOnWriteArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(pulls);
    try {
      List<Future<Path>> results = new ArrayList<>();
      for (int i = 0; i < pulls; i++) {
        Path from = i % 2 == 0 ? first : second;
        results.add(
            pool.submit(
                () -> {
                  // each as a separate `saim zoo pull` would: its own zoo on the shared cache
                  SaimZoo zoo = new SaimZoo(new ArtifactCache(cache), line -> {});
                  start.await(30, TimeUnit.SECONDS);
                  try (ArtifactCache.Held lock = zoo.cache().lock()) {
                    long t0 = System.nanoTime();
                    Path w = zoo.pull(a, from).entry().weights();
                    // what the command prints is there while it prints it
                    assertTrue(Files.isRegularFile(w), w.toString());
                    assertEquals(w, zoo.cache().imported(a.name(), a.fileName()).weights());
                    intervals.add(new long[] {t0, System.nanoTime()});
                    return w;
                  }
                }));
      }
      for (Future<Path> f : results) {
        f.get(2, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    intervals.sort((x, y) -> Long.compare(x[0], y[0]));
    for (int i = 1; i < intervals.size(); i++) {
      assertTrue(intervals.get(i)[0] >= intervals.get(i - 1)[1], "two pulls overlapped");
    }
    assertFalse(
        Files.exists(cache.resolve("staging")) && !filesUnder(cache.resolve("staging")).isEmpty());
  }
}
