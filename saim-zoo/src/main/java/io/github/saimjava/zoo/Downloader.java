package io.github.saimjava.zoo;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Downloads one file into a {@code .part} file that survives failures, so that the next attempt
 * resumes it with an HTTP range request (a server that ignores the range sends the whole file,
 * which then replaces the part).
 *
 * <ul>
 *   <li>HTML where a file was expected (a {@code text/html} response, or a body that starts like
 *       HTML) is never written to the part. A confirmation page (a form with hidden inputs) is
 *       submitted as its button would, with its own action and fields; any other page is refused in
 *       one line naming its title or first text.
 *   <li>Progress goes to a line consumer: bytes, rate and time left, at most every {@code
 *       progressEvery}.
 *   <li>A host that cannot be reached gives one line saying how to download by hand and bring the
 *       file in (the Java routes; the {@code saim} program names {@code saim zoo pull NAME --from
 *       FILE}); a time-out or a dropped connection gives one line and keeps the part.
 * </ul>
 */
final class Downloader {
  /** Confirmation pages followed at most, so that a page that answers itself cannot loop. */
  private static final int MAX_FORMS = 3;

  /** Bytes of an HTML answer read to find its form or title. */
  private static final int MAX_HTML = 2 << 20;

  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");

  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final Consumer<String> progress;
  private final Duration progressEvery;
  private final LongSupplier clock;

  Downloader(
      Duration connectTimeout,
      Duration readTimeout,
      Consumer<String> progress,
      Duration progressEvery) {
    this(connectTimeout, readTimeout, progress, progressEvery, System::nanoTime);
  }

  Downloader(
      Duration connectTimeout,
      Duration readTimeout,
      Consumer<String> progress,
      Duration progressEvery,
      LongSupplier clock) {
    this.connectTimeout = connectTimeout;
    this.readTimeout = readTimeout;
    this.progress = progress;
    this.progressEvery = progressEvery;
    this.clock = clock;
  }

  /**
   * Time-outs from {@code saim.zoo.connectTimeout} and {@code saim.zoo.readTimeout} (seconds;
   * defaults 30 and 60), progress every 2 seconds.
   */
  static Downloader fromSystemProperties(Consumer<String> progress) {
    return new Downloader(
        seconds("saim.zoo.connectTimeout", 30),
        seconds("saim.zoo.readTimeout", 60),
        progress,
        Duration.ofSeconds(2));
  }

  private static Duration seconds(String property, int fallback) {
    String v = System.getProperty(property);
    if (v == null) {
      return Duration.ofSeconds(fallback);
    }
    try {
      double s = Double.parseDouble(v);
      if (s > 0) {
        return Duration.ofMillis((long) (s * 1000));
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException(
        "-D" + property + "=" + v + " is not a positive number of seconds");
  }

  /**
   * Completes {@code part} with the file at {@code url}.
   *
   * @param name the artifact, for messages
   * @throws IOException in one line: unreachable host (how to import by hand), HTTP error, an HTML
   *     page instead of the file, a time-out or a dropped connection (the part is kept for a
   *     resume)
   */
  void download(String name, URI url, Path part) throws IOException {
    Files.createDirectories(part.toAbsolutePath().getParent());
    Path lockFile = part.resolveSibling(part.getFileName() + ".lock");
    try (FileChannel lockChannel =
        FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock;
      try {
        lock = lockChannel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new IOException(
            "cannot download "
                + name
                + ": another download of it into "
                + part
                + " is under way; wait for it to finish");
      }
      try {
        downloadLocked(name, url, part);
      } finally {
        lock.release();
      }
    } finally {
      Files.deleteIfExists(lockFile);
    }
  }

  private void downloadLocked(String name, URI url, Path part) throws IOException {
    URI current = url;
    String method = "GET";
    String body = null;
    int forms = 0;
    boolean restarted = false;
    while (true) {
      long have = Files.isRegularFile(part) ? Files.size(part) : 0;
      HttpURLConnection c = open(name, url, current, method, body, have);
      int status = c.getResponseCode();
      if (status == 416 && have > 0 && !restarted) {
        // the part is not a prefix the server can continue (it changed, or the part is complete
        // and corrupt): start over once
        c.disconnect();
        Files.delete(part);
        restarted = true;
        continue;
      }
      String type = c.getContentType() == null ? "" : c.getContentType().toLowerCase(Locale.ROOT);
      if (status != 200 && status != 206) {
        String page =
            type.contains("html")
                ? " (" + HtmlPage.describe(readText(c.getErrorStream())) + ")"
                : "";
        c.disconnect();
        throw new IOException(
            "cannot download " + name + ": " + current + " answered HTTP " + status + page);
      }
      BufferedInputStream in = new BufferedInputStream(c.getInputStream(), 1 << 16);
      boolean html = type.contains("text/html");
      if (!html && status == 200) {
        in.mark(64);
        byte[] head = new byte[64];
        int n = in.readNBytes(head, 0, head.length);
        in.reset();
        html = HtmlPage.looksLikeHtml(head, n);
      }
      if (html) {
        String text;
        try (InputStream s = in) {
          text = readText(s);
        }
        HtmlPage.Submission next = HtmlPage.confirmation(text, current);
        if (next == null || forms >= MAX_FORMS) {
          throw new IOException(
              "cannot download "
                  + name
                  + ": "
                  + current
                  + " answered with an HTML page, not a "
                  + "checkpoint: "
                  + HtmlPage.describe(text)
                  + (next != null ? " (after " + forms + " confirmation pages)" : ""));
        }
        forms++;
        progress.accept(
            name
                + ": "
                + current.getHost()
                + " asks to confirm the download ("
                + HtmlPage.describe(text)
                + "); submitting its form");
        current = next.uri();
        method = next.method();
        body = next.body();
        continue;
      }
      long start = 0;
      long total = -1;
      if (status == 206) {
        Matcher m = CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
        if (!m.find() || Long.parseLong(m.group(1)) != have) {
          in.close();
          c.disconnect();
          if (restarted) {
            throw new IOException(
                "cannot download "
                    + name
                    + ": "
                    + current
                    + " answers a range request with another"
                    + " range ("
                    + c.getHeaderField("Content-Range")
                    + ")");
          }
          Files.delete(part);
          restarted = true;
          continue;
        }
        start = have;
        total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
      } else {
        long len = c.getContentLengthLong();
        total = len >= 0 ? len : -1;
      }
      copy(name, current, in, part, start, total, have > 0 && status == 200);
      return;
    }
  }

  private HttpURLConnection open(
      String name, URI original, URI current, String method, @Nullable String body, long have)
      throws IOException {
    try {
      HttpURLConnection c = (HttpURLConnection) current.toURL().openConnection();
      c.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
      c.setReadTimeout((int) Math.min(Integer.MAX_VALUE, readTimeout.toMillis()));
      c.setInstanceFollowRedirects(true);
      c.setRequestProperty("User-Agent", "saim-java");
      c.setRequestProperty("Accept-Encoding", "identity");
      c.setRequestMethod(method);
      if (have > 0) {
        c.setRequestProperty("Range", "bytes=" + have + "-");
      }
      if (body != null) {
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
        try (OutputStream o = c.getOutputStream()) {
          o.write(body.getBytes(StandardCharsets.UTF_8));
        }
      }
      c.connect();
      return c;
    } catch (UnknownHostException | ConnectException | NoRouteToHostException e) {
      throw new IOException(
          noNetwork(
              name,
              original,
              current.getHost()
                  + " cannot be reached: "
                  + e.getClass().getSimpleName()
                  + (e.getMessage() == null ? "" : " " + e.getMessage())),
          e);
    } catch (SocketTimeoutException e) {
      throw new IOException(
          noNetwork(
              name, original, current.getHost() + " did not answer within " + secs(connectTimeout)),
          e);
    }
  }

  /** The one line for an unreachable host. */
  static String noNetwork(String name, URI url, String why) {
    return "cannot download "
        + name
        + " ("
        + why
        + "): download "
        + url
        + " by hand (a browser works), then "
        + SaimZoo.importAdvice(name);
  }

  private void copy(
      String name, URI url, InputStream in, Path part, long start, long total, boolean restart)
      throws IOException {
    long t0 = clock.getAsLong();
    long last = t0;
    long got = 0;
    progress.accept(
        name
            + ": downloading "
            + url.getHost()
            + (total >= 0 ? ", " + bytes(total) : "")
            + (start > 0
                ? ", resuming at " + bytes(start)
                : restart ? ", the server ignored the range: from the start" : ""));
    byte[] buf = new byte[1 << 16];
    try (InputStream s = in;
        OutputStream out =
            Files.newOutputStream(
                part,
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                start > 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
      int n;
      while ((n = s.read(buf)) >= 0) {
        out.write(buf, 0, n);
        got += n;
        long now = clock.getAsLong();
        if (now - last >= progressEvery.toNanos()) {
          last = now;
          progress.accept(line(name, start, got, total, now - t0));
        }
      }
    } catch (SocketTimeoutException e) {
      throw new IOException(
          "download of "
              + name
              + " from "
              + url.getHost()
              + " timed out: no data for "
              + secs(readTimeout)
              + " after "
              + bytes(start + got)
              + kept(part),
          e);
    } catch (IOException e) {
      throw new IOException(
          "download of "
              + name
              + " from "
              + url.getHost()
              + " was cut off after "
              + bytes(start + got)
              + " ("
              + e.getMessage()
              + ")"
              + kept(part),
          e);
    }
    if (total >= 0 && start + got < total) {
      throw new IOException(
          "download of "
              + name
              + " from "
              + url.getHost()
              + " was cut off after "
              + bytes(start + got)
              + " of "
              + bytes(total)
              + " (the connection closed early)"
              + kept(part));
    }
    progress.accept(line(name, start, got, total, clock.getAsLong() - t0) + ": done");
  }

  private static String kept(Path part) {
    return "; the partial file " + part + " is kept: run the same command again to resume";
  }

  /** {@code NAME: 12.3 MB of 344.0 MB (3%), 5.1 MB/s, 1:05 left}. */
  static String line(String name, long start, long got, long total, long nanos) {
    double secs = Math.max(nanos, 1) / 1e9;
    double rate = got / secs;
    long done = start + got;
    StringBuilder b = new StringBuilder(name).append(": ").append(bytes(done));
    if (total > 0) {
      b.append(" of ")
          .append(bytes(total))
          .append(String.format(Locale.ROOT, " (%d%%)", done * 100 / total));
    }
    b.append(", ").append(bytes((long) rate)).append("/s");
    if (total > 0 && rate > 0 && done < total) {
      long left = (long) Math.ceil((total - done) / rate);
      b.append(String.format(Locale.ROOT, ", %d:%02d left", left / 60, left % 60));
    }
    return b.toString();
  }

  private static String secs(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  static String bytes(long n) {
    if (n < 1_000_000) {
      return String.format(Locale.ROOT, "%,d bytes", n);
    }
    return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
  }

  private static String readText(@Nullable InputStream in) throws IOException {
    if (in == null) {
      return "";
    }
    try (InputStream s = in) {
      return new String(s.readNBytes(MAX_HTML), StandardCharsets.UTF_8);
    }
  }
}
