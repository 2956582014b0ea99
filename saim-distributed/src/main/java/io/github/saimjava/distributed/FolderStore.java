package io.github.saimjava.distributed;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * The rendezvous store of one launch in a folder every rank sees ({@link FolderHandshake} gives
 * each launch its own): a key is a file, written under a temporary name and renamed into place, so
 * a reader sees all of a value or nothing.
 */
final class FolderStore implements KeyValueStore {
  private final Path dir;

  FolderStore(Path dir) {
    this.dir = dir;
  }

  private Path file(String key) {
    return dir.resolve("key-" + key.replaceAll("[^A-Za-z0-9_.-]", "_"));
  }

  @Override
  public void set(String key, byte[] value) throws IOException {
    Path f = file(key);
    Path tmp = f.resolveSibling(f.getFileName() + "." + UUID.randomUUID() + ".tmp");
    Files.write(tmp, value);
    try {
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Override
  public byte[] get(String key, long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    Path f = file(key);
    while (true) {
      try {
        return Files.readAllBytes(f);
      } catch (NoSuchFileException e) {
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "rendezvous key " + key + " was not set in " + dir + " within " + timeoutMs + " ms",
              e);
        }
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for rendezvous key " + key, e);
      }
    }
  }
}
