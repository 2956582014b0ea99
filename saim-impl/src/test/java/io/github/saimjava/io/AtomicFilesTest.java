package io.github.saimjava.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  private static void assumePosix(Path dir) {
    assumeTrue(
        Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null,
        "needs POSIX permissions");
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** Not the owner-only permissions of a temporary file: those of any file the process creates. */
  @Test
  void aNewFileGetsThePermissionsOfAnyNewFile(@TempDir Path dir) throws IOException {
    assumePosix(dir);
    Path plain = Files.createFile(dir.resolve("plain"));
    Path target = dir.resolve("out.json");
    AtomicFiles.write(target, "{}".getBytes(StandardCharsets.UTF_8));
    assertEquals(
        PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
        PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    assertEquals("{}", Files.readString(target));
    assertEquals(List.of("out.json", "plain"), names(dir));
  }

  @Test
  void aReplacedFileKeepsItsPermissions(@TempDir Path dir) throws IOException {
    assumePosix(dir);
    Path target = dir.resolve("metrics.json");
    Files.writeString(target, "old");
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r-----"));
    AtomicFiles.write(target, "new".getBytes(StandardCharsets.UTF_8));
    assertEquals("new", Files.readString(target));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
    // a read-only file too: its mode is given to the new file once that is written
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r--r--r--"));
    AtomicFiles.write(target, "newer".getBytes(StandardCharsets.UTF_8));
    assertEquals("newer", Files.readString(target));
    assertEquals("r--r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
  }

  @Test
  void aFailedWriteLeavesTheOldFileAndNoTemporary(@TempDir Path dir) throws IOException {
    Path target = dir.resolve("weights.safetensors");
    byte[] old = {1, 2, 3};
    Files.write(target, old);
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                AtomicFiles.write(
                    target,
                    ch -> {
                      ch.write(java.nio.ByteBuffer.wrap(new byte[] {9, 9}));
                      throw new IOException("disk full");
                    }));
    assertEquals("disk full", e.getMessage());
    assertArrayEquals(old, Files.readAllBytes(target));
    assertEquals(List.of("weights.safetensors"), names(dir));
  }
}
