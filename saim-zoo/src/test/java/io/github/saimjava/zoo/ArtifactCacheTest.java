package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real download path against an HTTP server on loopback. */
class ArtifactCacheTest {
  HttpServer server;
  byte[] body;
  String sha;
  final AtomicInteger requests = new AtomicInteger();
  final AtomicInteger rangeRequests = new AtomicInteger();
  volatile int dropAfter = -1; // close the connection after this many bytes, once
  volatile boolean corrupt;

  @BeforeEach
  void start() throws Exception {
    body = new byte[300_000];
    new Random(1).nextBytes(body);
    sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/w.safetensors",
        ex -> {
          requests.incrementAndGet();
          String range = ex.getRequestHeaders().getFirst("Range");
          int from = 0;
          if (range != null) {
            rangeRequests.incrementAndGet();
            from = Integer.parseInt(range.replaceAll("[^0-9]", ""));
          }
          byte[] data = body.clone();
          if (corrupt) {
            data[1234] ^= 1;
          }
          int len = data.length - from;
          if (range != null) {
            ex.getResponseHeaders()
                .add(
                    "Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
          }
          ex.sendResponseHeaders(range != null ? 206 : 200, len);
          try (OutputStream out = ex.getResponseBody()) {
            int drop = dropAfter;
            if (drop >= 0) {
              dropAfter = -1;
              out.write(data, from, drop);
              out.flush();
              ex.getHttpContext().getServer(); // keep the reference; then cut the connection
              throw new IOException("connection dropped by the test server");
            }
            out.write(data, from, len);
          }
        });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/w.safetensors");
  }

  @Test
  void downloadsVerifiesAndThenServesFromTheCache(@TempDir Path dir) throws Exception {
    ArtifactCache cache = new ArtifactCache(dir);
    Path p = cache.fetch("w.safetensors", sha, url());
    assertArrayEquals(body, Files.readAllBytes(p));
    server.stop(0); // offline from now on
    assertEquals(p, cache.fetch("w.safetensors", sha, url()));
    assertEquals(1, requests.get());
  }

  @Test
  void aCorruptArtifactIsRefusedAndTheCacheIsUntouched(@TempDir Path dir) throws Exception {
    corrupt = true;
    ArtifactCache cache = new ArtifactCache(dir);
    IOException e = assertThrows(IOException.class, () -> cache.fetch("w.safetensors", sha, url()));
    assertTrue(e.getMessage().contains("is corrupt: SHA-256"), e.getMessage());
    assertTrue(e.getMessage().contains("nothing was cached"), e.getMessage());
    assertEquals(null, cache.cached("w.safetensors", sha));
    try (var files = Files.walk(dir)) {
      assertFalse(files.anyMatch(f -> Files.isRegularFile(f)), "no file left in the cache");
    }
  }

  @Test
  void aDroppedConnectionIsResumedWithARangeRequest(@TempDir Path dir) throws Exception {
    dropAfter = 100_000;
    ArtifactCache cache = new ArtifactCache(dir);
    assertThrows(IOException.class, () -> cache.fetch("w.safetensors", sha, url()));
    assertEquals(null, cache.cached("w.safetensors", sha));
    Path p = cache.fetch("w.safetensors", sha, url());
    assertArrayEquals(body, Files.readAllBytes(p));
    assertEquals(1, rangeRequests.get());
  }

  @Test
  void offlineWithAnEmptyCacheIsAClearError(@TempDir Path dir) {
    server.stop(0);
    ArtifactCache cache = new ArtifactCache(dir);
    IOException e = assertThrows(IOException.class, () -> cache.fetch("w.safetensors", sha, url()));
    assertTrue(
        e.getMessage().startsWith("cannot download w.safetensors (127.0.0.1 cannot be reached: "),
        e.getMessage());
    assertTrue(e.getMessage().contains("download " + url() + " by hand"), e.getMessage());
    assertTrue(
        e.getMessage().endsWith("(w.safetensors is not in the cache " + dir + ")"), e.getMessage());
  }
}
