package io.github.saimjava.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Crash-safe file replacement: write to a temporary sibling, force it to disk, rename it over the
 * target, then force the folder. Readers see either the old file or the new one, never a mix.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** What fills the temporary file. */
  @FunctionalInterface
  public interface Writer {
    void write(FileChannel channel) throws IOException;
  }

  /**
   * Replaces {@code target} with what {@code writer} writes; on failure {@code target} is
   * untouched.
   */
  public static void write(Path target, Writer writer) throws IOException {
    Path abs = target.toAbsolutePath();
    // an absolute path's parent is null for the root only, which is no file to write
    Path dir = Objects.requireNonNull(abs.getParent(), () -> target + " names no file in a folder");
    Files.createDirectories(dir);
    Path tmp = createTemporary(dir, abs.getFileName().toString());
    boolean done = false;
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        writer.write(ch);
        ch.force(true);
      }
      // after the write: a read-only target's permissions would forbid it
      keepPermissions(abs, tmp);
      try {
        Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
      }
      done = true;
      forceDirectory(dir);
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /**
   * A new empty sibling {@code .NAME.<random>.tmp}, created as any new file is (its permissions
   * follow the process's umask; {@code Files.createTempFile} would make it readable by its owner
   * only, and the rename would pass that on to the target).
   */
  private static Path createTemporary(Path dir, String name) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path tmp =
          dir.resolve(
              "."
                  + name
                  + "."
                  + Long.toUnsignedString(
                      ThreadLocalRandom.current().nextLong(), Character.MAX_RADIX)
                  + ".tmp");
      try {
        return Files.createFile(tmp);
      } catch (FileAlreadyExistsException e) {
        if (attempt == 100) {
          throw e;
        }
      }
    }
  }

  /** A replaced file keeps its permissions (where the file system has POSIX permissions). */
  private static void keepPermissions(Path target, Path tmp) throws IOException {
    PosixFileAttributeView from = Files.getFileAttributeView(target, PosixFileAttributeView.class);
    if (from == null || !Files.exists(target)) {
      return;
    }
    try {
      Files.setPosixFilePermissions(tmp, from.readAttributes().permissions());
    } catch (UnsupportedOperationException e) {
      // a file system without POSIX permissions keeps its own rules
    }
  }

  /** Replaces {@code target} with {@code bytes}, atomically. */
  public static void write(Path target, byte[] bytes) throws IOException {
    write(
        target,
        ch -> {
          ByteBuffer b = ByteBuffer.wrap(bytes);
          while (b.hasRemaining()) {
            ch.write(b);
          }
        });
  }

  /**
   * Makes {@code dir} ready to receive atomic writes: creates it, checks that it is writable, and
   * deletes the temporary files of writes a kill interrupted (the files they were to replace are
   * intact).
   *
   * @throws IOException naming the folder when it cannot be created or written
   */
  public static void prepareFolder(Path dir) throws IOException {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IOException("cannot create the output folder " + dir + ": " + e.getMessage(), e);
    }
    if (!Files.isWritable(dir)) {
      throw new IOException(
          "the output folder " + dir + " is not writable: choose another output folder");
    }
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String n = f.getFileName().toString();
        if (n.startsWith(".") && n.endsWith(".tmp")) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static void forceDirectory(Path dir) {
    if (dir == null) {
      return;
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // some file systems cannot open folders; the rename itself is still atomic
    }
  }
}
