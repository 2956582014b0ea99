package io.github.saimjava.spark;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkFiles;
import org.jspecify.annotations.Nullable;

/** Makes a checkpoint location a local file on an executor, where the encoder can read it. */
final class Checkpoints {
  private Checkpoints() {}

  /**
   * A local file with the checkpoint at {@code location}: the file itself when the location is
   * local ({@code /path} or {@code file:/path}) and exists here; a file shipped with {@code
   * spark-submit --files} under that name; otherwise a copy of a Hadoop URI ({@code hdfs://},
   * {@code s3a://}, ...) in a temporary folder of this JVM.
   *
   * @throws IllegalArgumentException when no such file is found, saying where it was looked for
   */
  static Path local(String location, Configuration hadoop) throws IOException {
    String scheme = scheme(location);
    if (scheme == null || scheme.equals("file")) {
      Path p = scheme == null ? Path.of(location) : Path.of(URI.create(location));
      if (Files.isRegularFile(p)) {
        return p;
      }
      Path shipped = shipped(p.getFileName().toString());
      if (shipped != null) {
        return shipped;
      }
      throw new IllegalArgumentException(
          location
              + ": no such checkpoint on this machine; put it where every executor can read it,"
              + " give an hdfs:// or s3a:// URI, or ship it with spark-submit --files");
    }
    org.apache.hadoop.fs.Path remote = new org.apache.hadoop.fs.Path(location);
    FileSystem fs = remote.getFileSystem(hadoop);
    if (!fs.isFile(remote)) {
      throw new IllegalArgumentException(location + ": no such checkpoint");
    }
    // the file name is kept: it tells the encoder a .safetensors file from a .pth
    Path dir = Files.createTempDirectory("saim-checkpoint");
    dir.toFile().deleteOnExit();
    Path copy = dir.resolve(remote.getName());
    fs.copyToLocalFile(false, remote, new org.apache.hadoop.fs.Path(copy.toUri()), true);
    copy.toFile().deleteOnExit();
    return copy;
  }

  private static @Nullable String scheme(String location) {
    try {
      URI u = new URI(location);
      // a single letter is a Windows drive, not a scheme
      return u.getScheme() == null || u.getScheme().length() < 2 ? null : u.getScheme();
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /**
   * The file of that name shipped with {@code --files}, if this JVM runs under Spark and has one.
   */
  private static @Nullable Path shipped(String name) {
    try {
      Path p = Path.of(SparkFiles.get(name));
      return Files.isRegularFile(p) ? p : null;
    } catch (RuntimeException e) { // not inside a Spark application
      return null;
    }
  }
}
