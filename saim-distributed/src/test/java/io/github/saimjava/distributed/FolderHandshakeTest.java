package io.github.saimjava.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code file:} rendezvous that cannot work fails at once in one line naming the folder, instead
 * of waiting the whole time-out for ranks that cannot answer. (No native library needed.)
 */
class FolderHandshakeTest {
  @Test
  void aFileInTheFoldersPlaceIsNamedAtOnce(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("rv"), "not a folder");
    IllegalArgumentException e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(5),
            () ->
                assertThrows(
                    IllegalArgumentException.class,
                    () -> FolderHandshake.agree(file, 0, 2, 60_000)));
    assertEquals(
        "rank 0: the rendezvous file:"
            + file
            + " is a file, not a folder: give a folder that every rank sees and may write in (it is"
            + " created if missing)",
        e.getMessage());
  }

  @Test
  void aFolderNoRankMayWriteInFailsAtOnceNotAfterTheTimeOut(@TempDir Path dir) throws Exception {
    Path readOnly = Files.createDirectories(dir.resolve("ro"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r-xr-xr-x"));
    Path probe = readOnly.resolve("can-i-write");
    boolean writable;
    try {
      Files.createFile(probe);
      Files.delete(probe);
      writable = true; // root writes anywhere: use a folder of the kernel's instead
    } catch (java.io.IOException e) {
      writable = false;
    }
    Path folder = writable ? Path.of("/proc/self") : readOnly;
    for (int rank : new int[] {0, 1}) {
      long start = System.nanoTime();
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> FolderHandshake.agree(folder, rank, 2, 60_000));
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(seconds < 5, "took " + seconds + " s");
      assertTrue(
          e.getMessage()
              .startsWith(
                  "rank " + rank + ": cannot write in the rendezvous folder " + folder + " ("),
          e.getMessage());
      assertTrue(
          e.getMessage()
              .endsWith(
                  "every rank writes its files there; give a folder every rank may" + " write in"),
          e.getMessage());
    }
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
