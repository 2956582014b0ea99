package io.github.saimjava.zoo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A folder of verified artifact files, one folder per SHA-256. A file enters the cache only once
 * its digest matches: downloads go to {@code <name>.part} (resumed with an HTTP range request when
 * the server allows, restarted otherwise; see {@link Downloader}), are hashed, and are renamed into
 * place; a mismatch deletes the part file and leaves the cache as it was. Offline use needs nothing
 * but the cached file.
 *
 * <p>Artifacts converted from a published checkpoint ({@link SaimZoo#pull}) are kept the same way
 * under the digest of the converted file, with a record {@code zoo/<name>.digests} that holds the
 * SHA-256 of what was downloaded and of what it was converted to ({@link Imported}).
 *
 * <p>Pulls take the cache's {@link #lock()}, so concurrent pulls (threads or processes) run one
 * after the other, and the first to take it clears the conversions a killed pull left behind.
 *
 * <p>The folder is {@code $SAIM_CACHE_DIR}, else the system property {@code saim.cache.dir}, else
 * {@code ~/.cache/saim-java}.
 */
public final class ArtifactCache {
  /** The lock file in the cache folder: one pull at a time per cache, across processes. */
  static final String LOCK = ".lock";

  /** The lock of each cache folder among the threads of this JVM (file locks are per process). */
  private static final ConcurrentHashMap<Path, ReentrantLock> THREAD_LOCKS =
      new ConcurrentHashMap<>();

  private final Path dir;

  public ArtifactCache(Path dir) {
    this.dir = dir;
  }

  /** The cache in its configured folder. */
  public static ArtifactCache defaultCache() {
    String env = System.getenv("SAIM_CACHE_DIR");
    String prop = System.getProperty("saim.cache.dir");
    Path d =
        env != null
            ? Path.of(env)
            : prop != null
                ? Path.of(prop)
                : Path.of(System.getProperty("user.home"), ".cache", "saim-java");
    return new ArtifactCache(d);
  }

  public Path dir() {
    return dir;
  }

  /**
   * Takes the cache's lock, waiting while another pull (a thread of this JVM or another process)
   * holds it; reentrant. Whoever takes it first also deletes what a killed pull left in {@link
   * #staging()}: only the holder of the lock writes there, so anything found there is debris.
   *
   * @throws IOException naming the lock file when it cannot be created or locked
   */
  public Held lock() throws IOException {
    Files.createDirectories(dir);
    Path file = dir.resolve(LOCK).toAbsolutePath().normalize();
    ReentrantLock threads = THREAD_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
    threads.lock();
    if (threads.getHoldCount() > 1) {
      return new Held(threads, null);
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      channel.lock();
      sweepStaging();
      return new Held(threads, channel);
    } catch (IOException e) {
      release(channel, threads);
      throw new IOException("cannot lock the cache " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      release(channel, threads);
      throw e;
    }
  }

  private static void release(
      @org.jspecify.annotations.Nullable FileChannel channel, ReentrantLock threads)
      throws IOException {
    try {
      if (channel != null) {
        channel.close();
      }
    } finally {
      threads.unlock();
    }
  }

  /** The cache's lock, held until closed. */
  public static final class Held implements AutoCloseable {
    private final ReentrantLock threads;
    private final @org.jspecify.annotations.Nullable FileChannel channel;

    private Held(ReentrantLock threads, @org.jspecify.annotations.Nullable FileChannel channel) {
      this.threads = threads;
      this.channel = channel;
    }

    /** Releases the lock (the file lock goes with the channel). */
    @Override
    public void close() throws IOException {
      try {
        if (channel != null) {
          channel.close();
        }
      } finally {
        threads.unlock();
      }
    }
  }

  /** Deletes everything in {@link #staging()} (called with the lock held). */
  private void sweepStaging() throws IOException {
    Path staging = staging();
    if (!Files.isDirectory(staging)) {
      return;
    }
    try (DirectoryStream<Path> s = Files.newDirectoryStream(staging)) {
      for (Path p : s) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(p)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Where the file with this digest lives once cached. */
  public Path location(String fileName, String sha256) {
    return dir.resolve(sha256.toLowerCase(Locale.ROOT).substring(0, 16)).resolve(fileName);
  }

  /**
   * The cached file, downloading it from {@code url} when absent (progress on stderr).
   *
   * @throws IOException naming the URL when the download fails or the digest does not match, or
   *     saying that the artifact is not cached and the host cannot be reached (offline)
   */
  public Path fetch(String fileName, String sha256, URI url) throws IOException {
    return fetch(fileName, sha256, url, Downloader.fromSystemProperties(System.err::println));
  }

  Path fetch(String fileName, String sha256, URI url, Downloader downloader) throws IOException {
    Path target = location(fileName, sha256);
    if (Files.isRegularFile(target)) {
      return target;
    }
    Files.createDirectories(target.getParent());
    Path part = target.resolveSibling(fileName + ".part");
    try {
      downloader.download(fileName, url, part);
    } catch (IOException e) {
      throw new IOException(
          e.getMessage() + " (" + fileName + " is not in the cache " + dir + ")", e);
    }
    String got = sha256(part);
    if (!got.equalsIgnoreCase(sha256)) {
      Files.deleteIfExists(part);
      throw new IOException(
          "download of "
              + url
              + " is corrupt: SHA-256 "
              + got
              + ", expected "
              + sha256.toLowerCase(Locale.ROOT)
              + "; nothing was cached");
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
      throw new IOException(
          fileName + ": SHA-256 " + got + ", expected " + sha256.toLowerCase(Locale.ROOT));
    }
    install(part, target);
    return target;
  }

  /** The file if cached, else null. */
  public @org.jspecify.annotations.Nullable Path cached(String fileName, String sha256) {
    Path target = location(fileName, sha256);
    return Files.isRegularFile(target) ? target : null;
  }

  /**
   * An artifact converted into the cache from a downloaded or imported file, as its record {@code
   * <cache>/zoo/<name>.digests} describes it.
   *
   * @param weights the converted safetensors file
   * @param source where the file came from (URL or path)
   * @param downloadedSha256 SHA-256 of the file as downloaded (or given to {@code saim zoo pull
   *     --from})
   * @param downloadedBytes its size
   * @param convertedSha256 SHA-256 of {@code weights}
   * @param convertedBytes its size
   */
  public record Imported(
      Path weights,
      String source,
      String downloadedSha256,
      long downloadedBytes,
      String convertedSha256,
      long convertedBytes) {}

  /** The record of an imported artifact. */
  Path record(String name) {
    return dir.resolve("zoo").resolve(name + ".digests");
  }

  /** Where downloads of artifacts that are converted wait until complete. */
  Path downloads() {
    return dir.resolve("downloads");
  }

  /** Where conversions are written before they are installed. */
  Path staging() {
    return dir.resolve("staging");
  }

  /**
   * The imported artifact {@code name}, or null when there is no record or its file is gone or has
   * another size (then the artifact is obtained again).
   *
   * @throws IOException when the record cannot be read or is malformed (naming it)
   */
  public @org.jspecify.annotations.Nullable Imported imported(String name, String fileName)
      throws IOException {
    Path r = record(name);
    if (!Files.isRegularFile(r)) {
      return null;
    }
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(r, StandardCharsets.UTF_8)) {
      p.load(in);
    }
    String conv = p.getProperty("converted.sha256");
    String down = p.getProperty("downloaded.sha256");
    try {
      long downBytes = Long.parseLong(p.getProperty("downloaded.bytes", "-1"));
      long convBytes = Long.parseLong(p.getProperty("converted.bytes", "-1"));
      if (conv == null
          || down == null
          || !conv.matches("[0-9a-f]{64}")
          || !down.matches("[0-9a-f]{64}")) {
        throw new NumberFormatException("digests");
      }
      Path w = location(fileName, conv);
      if (!Files.isRegularFile(w) || Files.size(w) != convBytes) {
        return null;
      }
      return new Imported(w, p.getProperty("source", "?"), down, downBytes, conv, convBytes);
    } catch (NumberFormatException e) {
      throw new IOException(
          "the cache record "
              + r
              + " is malformed ("
              + e.getMessage()
              + "): delete it and pull "
              + name
              + " again",
          e);
    }
  }

  /**
   * Moves the converted file {@code converted} into the cache as {@code name} and records its
   * digests. The weights enter a folder of their own digest first and the record is replaced
   * atomically after, so a reader sees the previous entry or the new one, never a mix; the previous
   * entry's weights are deleted once the record no longer names them.
   */
  Imported install(
      String name,
      String fileName,
      Path converted,
      String source,
      String downloadedSha256,
      long downloadedBytes)
      throws IOException {
    Imported before = imported(name, fileName);
    String conv = sha256(converted);
    long convBytes = Files.size(converted);
    Path target = location(fileName, conv);
    Files.createDirectories(target.getParent());
    if (Files.isRegularFile(target)
        && Files.size(target) == convBytes
        && sha256(target).equals(conv)) {
      Files.delete(converted);
    } else {
      install(converted, target);
    }
    String text =
        "# saim-zoo: "
            + name
            + " as cached. A pin -Dsaim.zoo."
            + name
            + ".sha256=... is compared with "
            + "downloaded.sha256.\n"
            + "source="
            + escape(source)
            + "\n"
            + "downloaded.sha256="
            + downloadedSha256
            + "\n"
            + "downloaded.bytes="
            + downloadedBytes
            + "\n"
            + "converted.sha256="
            + conv
            + "\n"
            + "converted.bytes="
            + convBytes
            + "\n";
    Path r = record(name);
    Files.createDirectories(r.getParent());
    Path tmp = Files.createTempFile(r.getParent(), name, ".part");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      install(tmp, r);
    } finally {
      Files.deleteIfExists(tmp);
    }
    if (before != null && !before.weights().equals(target)) {
      Files.deleteIfExists(before.weights());
    }
    return new Imported(target, source, downloadedSha256, downloadedBytes, conv, convBytes);
  }

  private static String escape(String v) {
    return v.replace("\\", "\\\\").replace("\n", " ").replace("\r", " ");
  }

  private static void install(Path part, Path target) throws IOException {
    try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    try {
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** Hex SHA-256 of bytes. */
  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Hex SHA-256 of a file. */
  public static String sha256(Path file) throws IOException {
    try (InputStream in =
        new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
      in.transferTo(OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
