package io.github.saimjava.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.io.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * First use of an artifact with no published digest, against a loopback server that plays the
 * authors' host (Google Drive): its confirmation page, a dropped connection, an HTML error page, a
 * stalled transfer, a file that disagrees with a pinned digest; and offline use after the first
 * download. The files are the reference's own checkpoints of each kind, at a tiny size.
 */
class ZooDownloadTest {
  /** The configuration of fixtures/reference-checkpoint-tiny.pth. */
  static final SaimConfig PRE =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(8)
          .width(64)
          .depth(4)
          .heads(4)
          .queryDepth(2)
          .blur(3, 1)
          .build();

  /** The configuration of fixtures/finetune.pth and linprobe.pth (10 classes). */
  static final SaimConfig CLS =
      SaimConfig.builder()
          .imageSize(32)
          .patchSize(4)
          .width(32)
          .depth(2)
          .heads(2)
          .queryDepth(2)
          .build();

  static final float[] MEAN = {0.485f, 0.456f, 0.406f};
  static final float[] STD = {0.229f, 0.224f, 0.225f};

  HttpServer server;
  final Map<String, byte[]> files = new TreeMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  final AtomicInteger rangeRequests = new AtomicInteger();
  volatile int dropAfter = -1; // cut the connection after this many bytes, once
  volatile long stallMillis = 0; // stop sending half-way for this long, once
  volatile String issuedUuid;
  final List<String> log = new CopyOnWriteArrayList<>();
  final List<String> registered = new ArrayList<>();

  static byte[] fixture(String name) throws IOException {
    try (InputStream in = ZooDownloadTest.class.getResourceAsStream("/fixtures/" + name)) {
      return in.readAllBytes();
    }
  }

  @BeforeEach
  void start() throws Exception {
    files.put("pre", fixture("reference-checkpoint-tiny.pth"));
    files.put("ft", fixture("finetune.pth"));
    files.put("lin", fixture("linprobe.pth"));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    // like drive.google.com/uc?export=download&id=ID: a page with a form for a large file
    server.createContext(
        "/uc",
        ex -> {
          requests.add(ex.getRequestURI().toString());
          Map<String, String> q = query(ex);
          if (!files.containsKey(q.get("id"))) {
            html(
                ex,
                404,
                "<html><head><title>Google Drive - 404 Not"
                    + " Found</title></head><body>Sorry</body></html>");
            return;
          }
          issuedUuid = UUID.randomUUID().toString();
          html(
              ex,
              200,
              "<!DOCTYPE html><html><head><title>Google Drive - Virus scan"
                  + " warning</title></head><body><p>Google Drive can't scan this file for"
                  + " viruses.</p><form id=\"download-form\" action=\"http://127.0.0.1:"
                  + server.getAddress().getPort()
                  + "/usercontent/download\" method=\"get\"><input type=\"submit\""
                  + " id=\"uc-download-link\" value=\"Download anyway\"/><input type=\"hidden\""
                  + " name=\"id\" value=\""
                  + q.get("id")
                  + "\"><input type=\"hidden\" name=\"export\" value=\"download\"><input"
                  + " type=\"hidden\" name=\"confirm\" value=\"t\"><input type=\"hidden\""
                  + " name=\"uuid\" value=\""
                  + issuedUuid
                  + "\"></form></body></html>");
        });
    // the file itself, only with the fields of the form just issued
    server.createContext(
        "/usercontent/download",
        ex -> {
          requests.add(ex.getRequestURI().toString());
          Map<String, String> q = query(ex);
          byte[] data = files.get(q.get("id"));
          if (data == null || !"t".equals(q.get("confirm")) || !q.get("uuid").equals(issuedUuid)) {
            html(ex, 403, "<html><head><title>Access denied</title></head></html>");
            return;
          }
          send(ex, data);
        });
    server.createContext(
        "/error-page",
        ex -> {
          requests.add(ex.getRequestURI().toString());
          html(
              ex,
              200,
              "<!doctype html>\n"
                  + "<html><head><style>p{}</style></head><body><h1>Quota exceeded</h1><p>Too many"
                  + " users have viewed or downloaded this file recently.</p></body></html>");
        });
    server.createContext(
        "/plain/",
        ex -> {
          requests.add(ex.getRequestURI().toString());
          send(ex, files.get(ex.getRequestURI().getPath().substring("/plain/".length())));
        });
    server.start();
  }

  /** Sends {@code data}, honouring a Range header, dropping or stalling once when asked. */
  void send(HttpExchange ex, byte[] data) throws IOException {
    String range = ex.getRequestHeaders().getFirst("Range");
    int from = 0;
    if (range != null) {
      rangeRequests.incrementAndGet();
      from = Integer.parseInt(range.replaceAll("[^0-9]", ""));
      ex.getResponseHeaders()
          .add("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
    }
    ex.getResponseHeaders().add("Content-Type", "application/octet-stream");
    ex.sendResponseHeaders(range != null ? 206 : 200, data.length - from);
    try (OutputStream out = ex.getResponseBody()) {
      int drop = dropAfter;
      long stall = stallMillis;
      if (drop >= 0) {
        dropAfter = -1;
        out.write(data, from, drop);
        out.flush();
        throw new IOException("connection dropped by the test server");
      }
      if (stall > 0) {
        stallMillis = 0;
        int half = (data.length - from) / 2;
        out.write(data, from, half);
        out.flush();
        try {
          Thread.sleep(stall);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        throw new IOException("stalled");
      }
      out.write(data, from, data.length - from);
    }
  }

  static void html(HttpExchange ex, int status, String page) throws IOException {
    byte[] b = page.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  static Map<String, String> query(HttpExchange ex) {
    Map<String, String> q = new TreeMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw != null) {
      for (String kv : raw.split("&")) {
        int i = kv.indexOf('=');
        q.put(
            kv.substring(0, i),
            java.net.URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
      }
    }
    return q;
  }

  @AfterEach
  void stop() {
    server.stop(0);
    registered.forEach(SaimZoo::remove);
    for (String p : List.of("test_pre", "test_ft", "test_lin")) {
      System.clearProperty("saim.zoo." + p + ".sha256");
    }
  }

  URI drive(String id) {
    return URI.create(
        "http://127.0.0.1:" + server.getAddress().getPort() + "/uc?export=download&id=" + id);
  }

  ZooArtifact register(String name, SaimConfig c, ZooArtifact.Kind kind, int classes, URI url) {
    ZooArtifact a =
        new ZooArtifact(
            name,
            "a test artifact",
            c,
            MEAN,
            STD,
            "this test",
            name + ".safetensors",
            null,
            null,
            url,
            kind,
            classes);
    SaimZoo.add(a);
    registered.add(name);
    return a;
  }

  SaimZoo zoo(Path cache) {
    return new SaimZoo(
        new ArtifactCache(cache),
        log::add,
        new Downloader(Duration.ofSeconds(5), Duration.ofMillis(700), log::add, Duration.ZERO));
  }

  /**
   * Every file under the cache, with its bytes' digest: "the cache as it was". The empty lock file
   * that pulls hold ({@link ArtifactCache#lock}) is not part of it.
   */
  static Map<String, String> snapshot(Path dir) throws IOException {
    Map<String, String> out = new TreeMap<>();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p :
            s.filter(Files::isRegularFile)
                .filter(p -> !p.equals(dir.resolve(ArtifactCache.LOCK)))
                .toList()) {
          out.put(dir.relativize(p).toString(), ArtifactCache.sha256(p));
        }
      }
    }
    return out;
  }

  static String sha(byte[] b) {
    return ArtifactCache.sha256(b);
  }

  @Test
  void theConfirmationFormIsFollowedTheFileConvertedAndCachedAndThenUsedOffline(@TempDir Path dir)
      throws Exception {
    ZooArtifact a = register("test_pre", PRE, ZooArtifact.Kind.PRETRAINED, 0, drive("pre"));
    SaimZoo zoo = zoo(dir);
    assertFalse(zoo.isAvailableOffline(a));
    Path w = zoo.weights(a);

    assertEquals(2, requests.size(), requests.toString());
    assertTrue(
        requests.get(1).startsWith("/usercontent/download?id=pre&export=download&confirm=t&uuid="),
        requests.get(1));
    // converted: the reference's state dict alone, under our names, in safetensors
    SafeTensors.Contents c = SafeTensors.read(w);
    assertEquals(ZooLayout.pretraining(PRE).keySet(), c.tensors().keySet());
    ArtifactCache.Imported e = new ArtifactCache(dir).imported("test_pre", a.fileName());
    assertNotNull(e);
    assertEquals(w, e.weights());
    assertEquals(sha(files.get("pre")), e.downloadedSha256());
    assertEquals(files.get("pre").length, e.downloadedBytes());
    assertEquals(ArtifactCache.sha256(w), e.convertedSha256());
    assertEquals(drive("pre").toString(), e.source());
    String printed = String.join("\n", log);
    assertTrue(
        printed.contains(
            "asks to confirm the download ('Google Drive - Virus scan warning'); submitting its"
                + " form"),
        printed);
    assertTrue(printed.contains("  downloaded SHA-256 " + sha(files.get("pre"))), printed);
    assertTrue(printed.contains("  converted  SHA-256 " + e.convertedSha256()), printed);
    assertTrue(
        printed.endsWith(
            "pin it (compared with the downloaded file's SHA-256): -Dsaim.zoo.test_pre.sha256="
                + sha(files.get("pre"))),
        printed);
    assertFalse(
        Files.exists(dir.resolve("downloads"))
            && Files.list(dir.resolve("downloads")).findAny().isPresent(),
        "the download is deleted once converted");

    // offline from now on; the digests are printed once
    server.stop(0);
    int lines = log.size();
    assertTrue(zoo.isAvailableOffline(a));
    assertEquals(w, zoo.weights(a));
    assertEquals(w, zoo(dir).weights(a));
    assertEquals(lines, log.size());
    // a pin equal to the downloaded digest keeps it offline
    System.setProperty("saim.zoo.test_pre.sha256", sha(files.get("pre")));
    assertEquals(w, zoo.weights(a));
  }

  @Test
  void aFileNamedBySystemPropertyIsUsedAsItIsForEveryKind(@TempDir Path dir) throws Exception {
    ZooArtifact a = register("test_ft", CLS, ZooArtifact.Kind.FINETUNED, 10, drive("ft"));
    Path own = dir.resolve("own.safetensors");
    Files.write(own, new byte[] {1, 2, 3});
    System.setProperty("saim.zoo.test_ft.file", own.toString());
    try {
      assertTrue(zoo(dir.resolve("cache")).isAvailableOffline(a));
      assertEquals(own, zoo(dir.resolve("cache")).weights(a));
      assertEquals(
          "from -Dsaim.zoo.test_ft.file=" + own, zoo(dir.resolve("cache")).listing(a).state());
    } finally {
      System.clearProperty("saim.zoo.test_ft.file");
    }
    assertEquals(List.of(), requests);
  }

  @Test
  void aFinishedDownloadThatCouldNotBeConvertedIsConvertedNextTimeWithoutTheNetwork(
      @TempDir Path dir) throws Exception {
    ZooArtifact a = register("test_pre", PRE, ZooArtifact.Kind.PRETRAINED, 0, drive("pre"));
    Path cache = dir.resolve("cache");
    // a staging folder that cannot be created: the conversion fails after the download
    Files.createDirectories(cache);
    Files.writeString(cache.resolve("staging"), "in the way");
    assertThrows(IOException.class, () -> zoo(cache).weights(a));
    assertNull(new ArtifactCache(cache).imported("test_pre", a.fileName()));
    Files.delete(cache.resolve("staging"));
    server.stop(0);
    Path w = zoo(cache).weights(a);
    assertEquals(
        sha(files.get("pre")),
        new ArtifactCache(cache).imported("test_pre", a.fileName()).downloadedSha256());
    assertEquals(w, zoo(cache).weights(a));
    assertTrue(isEmpty(cache.resolve("downloads")), "the download is deleted once converted");
  }

  @Test
  void progressSaysBytesRateAndTimeLeft() {
    assertEquals(
        "m: 1.0 MB of 4.0 MB (25%), 500,000 bytes/s, 0:06 left",
        Downloader.line("m", 0, 1_000_000, 4_000_000, 2_000_000_000L));
    assertEquals(
        "m: 3.0 MB of 4.0 MB (75%), 1.0 MB/s, 0:01 left",
        Downloader.line("m", 2_000_000, 1_000_000, 4_000_000, 1_000_000_000L));
  }

  @Test
  void progressLinesGoToTheLog(@TempDir Path dir) throws Exception {
    ZooArtifact a = register("test_ft", CLS, ZooArtifact.Kind.FINETUNED, 10, drive("ft"));
    zoo(dir).weights(a);
    String n = String.format("%,d bytes", files.get("ft").length);
    assertTrue(log.contains("test_ft: downloading 127.0.0.1, " + n), log.toString());
    assertTrue(
        log.stream()
            .anyMatch(
                l ->
                    l.startsWith("test_ft: " + n + " of " + n + " (100%), ")
                        && l.endsWith(": done")),
        log.toString());
  }

  @Test
  void aDroppedConnectionKeepsThePartAndTheNextAttemptResumesItWithARange(@TempDir Path dir)
      throws Exception {
    ZooArtifact a = register("test_pre", PRE, ZooArtifact.Kind.PRETRAINED, 0, drive("pre"));
    dropAfter = 1_000_000;
    IOException e = assertThrows(IOException.class, () -> zoo(dir).weights(a));
    assertTrue(
        e.getMessage().startsWith("download of test_pre from 127.0.0.1 was cut off after 1.0 MB"),
        e.getMessage());
    assertTrue(
        e.getMessage().endsWith(" is kept: run the same command again to resume"), e.getMessage());
    assertNull(new ArtifactCache(dir).imported("test_pre", a.fileName()));
    Set<String> left = snapshot(dir).keySet();
    assertEquals(1, left.size(), left.toString());
    assertTrue(left.iterator().next().startsWith("downloads/test_pre-"), left.toString());

    Path w = zoo(dir).weights(a);
    assertEquals(1, rangeRequests.get());
    assertTrue(log.stream().anyMatch(l -> l.contains("resuming at 1.0 MB")), log.toString());
    assertEquals(
        sha(files.get("pre")),
        new ArtifactCache(dir).imported("test_pre", a.fileName()).downloadedSha256());
    assertTrue(Files.isRegularFile(w));
  }

  @Test
  void aStalledTransferTimesOutInOneLineAndKeepsThePart(@TempDir Path dir) throws Exception {
    ZooArtifact a = register("test_pre", PRE, ZooArtifact.Kind.PRETRAINED, 0, drive("pre"));
    stallMillis = 3000;
    IOException e = assertThrows(IOException.class, () -> zoo(dir).weights(a));
    assertTrue(
        e.getMessage()
            .startsWith("download of test_pre from 127.0.0.1 timed out: no data for 0.7 s after "),
        e.getMessage());
    assertTrue(e.getMessage().contains("is kept"), e.getMessage());
    assertNull(new ArtifactCache(dir).imported("test_pre", a.fileName()));
    zoo(dir).weights(a);
    assertEquals(1, rangeRequests.get());
  }

  @Test
  void anHtmlPageThatIsNotAConfirmationIsRefusedNamingWhatCameBack(@TempDir Path dir)
      throws Exception {
    URI page = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/error-page");
    ZooArtifact a = register("test_pre", PRE, ZooArtifact.Kind.PRETRAINED, 0, page);
    IOException e = assertThrows(IOException.class, () -> zoo(dir).weights(a));
    assertEquals(
        "cannot download test_pre: "
            + page
            + " answered with an HTML page, not a checkpoint: "
            + "'Quota exceeded Too many users have viewed or downloaded this file recently.'",
        e.getMessage());
    assertEquals(Map.of(), snapshot(dir));
    ZooArtifact missing = register("test_ft", CLS, ZooArtifact.Kind.FINETUNED, 10, drive("nope"));
    e = assertThrows(IOException.class, () -> zoo(dir).weights(missing));
    assertEquals(
        "cannot download test_ft: "
            + drive("nope")
            + " answered HTTP 404 ('Google Drive - 404 Not Found')",
        e.getMessage());
  }

  @Test
  void aFileThatDisagreesWithThePinIsRefusedAndTheCacheIsAsItWas(@TempDir Path dir)
      throws Exception {
    ZooArtifact a = register("test_pre", PRE, ZooArtifact.Kind.PRETRAINED, 0, drive("pre"));
    Path first = zoo(dir).weights(a);
    Map<String, String> before = snapshot(dir);
    // the host now serves another file, and the user pins a digest that neither file has
    files.put("pre", fixture("reference-checkpoint-tiny.pth").clone());
    files.get("pre")[files.get("pre").length - 30] ^=
        1; // in the zip's trailer: still a readable checkpoint
    String pin = "ab".repeat(32);
    System.setProperty("saim.zoo.test_pre.sha256", pin);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> zoo(dir).weights(a));
    assertEquals(
        drive("pre")
            + " has SHA-256 "
            + sha(files.get("pre"))
            + ", but -Dsaim.zoo.test_pre.sha256 pins "
            + pin
            + ": refused, the cache is as it was",
        e.getMessage());
    assertEquals(before, snapshot(dir));
    Path hand = dir.resolveSibling(dir.getFileName() + "-hand.pth");
    Files.write(hand, files.get("pre"));
    e = assertThrows(IllegalArgumentException.class, () -> zoo(dir).pull(a, hand));
    assertTrue(e.getMessage().startsWith(hand + " has SHA-256 "), e.getMessage());
    assertEquals(before, snapshot(dir));
    // pinned to the first file's digest, the cached entry is used without the network
    server.stop(0);
    System.setProperty("saim.zoo.test_pre.sha256", sha(fixture("reference-checkpoint-tiny.pth")));
    assertEquals(first, zoo(dir).weights(a));
  }

  @Test
  void aClosedPortGivesTheNoNetworkLine(@TempDir Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    URI url = URI.create("http://127.0.0.1:" + port + "/uc?export=download&id=pre");
    ZooArtifact a = register("test_pre", PRE, ZooArtifact.Kind.PRETRAINED, 0, url);
    IOException e = assertThrows(IOException.class, () -> zoo(dir).weights(a));
    assertTrue(
        e.getMessage()
            .startsWith("cannot download test_pre (127.0.0.1 cannot be reached: ConnectException"),
        e.getMessage());
    assertTrue(
        e.getMessage()
            .endsWith(
                "): download "
                    + url
                    + " by hand (a browser works), then "
                    + SaimZoo.importAdvice("test_pre")),
        e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
    assertEquals(Map.of(), snapshot(dir));
  }

  @Test
  void eachKindImportsTheReferencesOwnFileAndRefusesAnotherKindsWithTheCacheUntouched(
      @TempDir Path dir) throws Exception {
    ZooArtifact pre = register("test_pre", PRE, ZooArtifact.Kind.PRETRAINED, 0, null);
    ZooArtifact ft = register("test_ft", CLS, ZooArtifact.Kind.FINETUNED, 10, null);
    ZooArtifact lin = register("test_lin", CLS, ZooArtifact.Kind.LINEAR_PROBE, 10, null);
    Path fixtures = dir.resolve("in");
    Files.createDirectories(fixtures);
    for (String f :
        List.of(
            "reference-checkpoint-tiny.pth",
            "finetune.pth",
            "linprobe.pth",
            "hostile-checkpoint.pth")) {
      Files.write(fixtures.resolve(f), fixture(f));
    }
    Path cache = dir.resolve("cache");
    SaimZoo zoo = zoo(cache);
    SaimZoo.Imported p = zoo.pull(pre, fixtures.resolve("reference-checkpoint-tiny.pth"));
    assertEquals(List.of(), p.notes());
    SaimZoo.Imported f = zoo.pull(ft, fixtures.resolve("finetune.pth"));
    assertEquals(
        ZooLayout.fineTuned(CLS, 10, true).keySet(),
        SafeTensors.read(f.entry().weights()).tensors().keySet());
    SaimZoo.Imported l = zoo.pull(lin, fixtures.resolve("linprobe.pth"));
    assertEquals(
        ZooLayout.linearProbe(CLS, 10).keySet(),
        SafeTensors.read(l.entry().weights()).tensors().keySet());
    assertTrue(
        Files.isRegularFile(fixtures.resolve("finetune.pth")), "the given file is left as it was");

    Map<String, String> before = snapshot(cache);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> zoo.pull(lin, fixtures.resolve("finetune.pth")));
    assertEquals(
        fixtures.resolve("finetune.pth")
            + " does not have the layout of the linear-probed classifier test_lin (ViT 32 px, patch"
            + " 4, width 32, depth 2, 10 classes): 7 missing (norm.weight, norm.bias,"
            + " head.0.running_mean, ...); 4 unexpected (head.weight, head.bias, fc_norm.weight,"
            + " ...); nothing was cached",
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> zoo.pull(pre, fixtures.resolve("linprobe.pth")));
    assertTrue(
        e.getMessage()
            .contains(
                "does not have the layout of the encoder of test_pre (ViT 32 px, patch 8, width"
                    + " 64"),
        e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> zoo.pull(ft, fixtures.resolve("hostile-checkpoint.pth")));
    assertTrue(e.getMessage().contains("hostile-checkpoint.pth"), e.getMessage());
    Path page = fixtures.resolve("saved.pth");
    Files.writeString(
        page,
        "<!DOCTYPE html><html><head><title>Google Drive - Virus scan"
            + " warning</title></head></html>");
    e = assertThrows(IllegalArgumentException.class, () -> zoo.pull(pre, page));
    assertTrue(
        e.getMessage()
            .startsWith(
                page + " is an HTML page ('Google Drive - Virus scan warning'), not a checkpoint"),
        e.getMessage());
    assertEquals(before, snapshot(cache));
    assertTrue(isEmpty(cache.resolve("staging")), "no leftovers in the staging folder");
  }

  static boolean isEmpty(Path d) {
    try (Stream<Path> s = Files.list(d)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aReImportOfTheSameFileKeepsOneEntryAndAnotherFileReplacesIt(@TempDir Path dir)
      throws Exception {
    ZooArtifact ft =
        register(
            "test_ft",
            CLS,
            ZooArtifact.Kind.FINETUNED,
            10,
            URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/plain/ft"));
    Path cache = dir.resolve("cache");
    Path w1 = zoo(cache).pull(ft).entry().weights();
    assertEquals(1, requests.size());
    assertEquals(w1, zoo(cache).pull(ft).entry().weights());
    assertEquals(1, requests.size(), "a cached entry is not downloaded again");
    Path in = dir.resolve("ft.safetensors");
    Files.copy(w1, in);
    // a safetensors import: the converter passes its tensors through
    SaimZoo.Imported again = zoo(cache).pull(ft, in);
    assertArrayEquals(Files.readAllBytes(w1), Files.readAllBytes(again.entry().weights()));
    assertEquals(sha(Files.readAllBytes(in)), again.entry().downloadedSha256());
    long weightFiles =
        snapshot(cache).keySet().stream().filter(k -> k.endsWith(".safetensors")).count();
    assertEquals(1, weightFiles, snapshot(cache).toString());
  }
}
