package io.github.saimjava.zoo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A folder of verified artifact files, one per SHA-256. A file enters the cache only once its
 * digest matches: downloads go to {@code <name>.part} (resumed with an HTTP range request when the
 * server allows, restarted otherwise), are hashed, and are renamed into place; a mismatch deletes
 * the part file and leaves the cache as it was. Offline use needs nothing but the cached file.
 *
 * <p>The folder is {@code $SAIM_CACHE_DIR}, else the system property {@code saim.cache.dir}, else
 * {@code ~/.cache/saim-java}.
 */
public final class ArtifactCache {
  private final Path dir;
  private final HttpClient http;

  public ArtifactCache(Path dir) {
    this.dir = dir;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
        .followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  /** The cache in its configured folder. */
  public static ArtifactCache defaultCache() {
    String env = System.getenv("SAIM_CACHE_DIR");
    String prop = System.getProperty("saim.cache.dir");
    Path d = env != null ? Path.of(env) : prop != null ? Path.of(prop)
        : Path.of(System.getProperty("user.home"), ".cache", "saim-java");
    return new ArtifactCache(d);
  }

  public Path dir() {
    return dir;
  }

  /** Where the file with this digest lives once cached. */
  public Path location(String fileName, String sha256) {
    return dir.resolve(sha256.toLowerCase(Locale.ROOT).substring(0, 16)).resolve(fileName);
  }

  /**
   * The cached file, downloading it from {@code url} when absent.
   *
   * @throws IOException naming the URL when the download fails or the digest does not match, or
   *     saying that the artifact is not cached and no URL is known (offline)
   */
  public Path fetch(String fileName, String sha256, URI url) throws IOException {
    Path target = location(fileName, sha256);
    if (Files.isRegularFile(target)) {
      return target;
    }
    Files.createDirectories(target.getParent());
    Path part = target.resolveSibling(fileName + ".part");
    long have = Files.isRegularFile(part) ? Files.size(part) : 0;
    HttpRequest.Builder req = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(30)).GET();
    if (have > 0) {
      req.header("Range", "bytes=" + have + "-");
    }
    HttpResponse<InputStream> resp;
    try {
      resp = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new IOException("cannot download " + url + " (" + e.getMessage()
          + "); the artifact is not in the cache " + dir + ": connect to the network or copy the file to "
          + target, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while downloading " + url, e);
    }
    int status = resp.statusCode();
    boolean append = status == 206 && have > 0;
    if (status != 200 && status != 206) {
      resp.body().close();
      throw new IOException("cannot download " + url + ": HTTP " + status);
    }
    try (InputStream in = resp.body();
        OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE,
            append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      in.transferTo(out);
    } catch (IOException e) {
      throw new IOException("download of " + url + " was cut off after "
          + (Files.isRegularFile(part) ? Files.size(part) : 0) + " bytes (" + e.getMessage()
          + "); run again to resume it", e);
    }
    String got = sha256(part);
    if (!got.equalsIgnoreCase(sha256)) {
      Files.deleteIfExists(part);
      throw new IOException("download of " + url + " is corrupt: SHA-256 " + got + ", expected "
          + sha256.toLowerCase(Locale.ROOT) + "; nothing was cached");
    }
    install(part, target);
    return target;
  }

  /**
   * Copies {@code bytes} (e.g. a bundled artifact) into the cache after checking its digest.
   *
   * @throws IOException when the digest does not match
   */
  public Path put(String fileName, String sha256, InputStream bytes) throws IOException {
    Path target = location(fileName, sha256);
    if (Files.isRegularFile(target)) {
      return target;
    }
    Files.createDirectories(target.getParent());
    Path part = Files.createTempFile(target.getParent(), fileName, ".part");
    try (OutputStream out = Files.newOutputStream(part)) {
      bytes.transferTo(out);
    }
    String got = sha256(part);
    if (!got.equalsIgnoreCase(sha256)) {
      Files.deleteIfExists(part);
      throw new IOException(fileName + ": SHA-256 " + got + ", expected " + sha256.toLowerCase(Locale.ROOT));
    }
    install(part, target);
    return target;
  }

  /** The file if cached, else null. */
  public @org.jspecify.annotations.Nullable Path cached(String fileName, String sha256) {
    Path target = location(fileName, sha256);
    return Files.isRegularFile(target) ? target : null;
  }

  private static void install(Path part, Path target) throws IOException {
    try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    try {
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Hex SHA-256 of a file. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
