package io.github.saimjava.distributed;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * Agrees on a fresh sub-folder of a shared rendezvous folder for one launch of a run. Gloo's file
 * store keeps every key as a file forever, so a relaunch in the same folder would read the
 * addresses of the previous launch; each launch therefore gets its own store folder.
 *
 * <p>Protocol: rank {@code r > 0} writes {@code join-r} holding a random nonce. Rank 0 reads every
 * {@code join-*} and publishes {@code attempt}: a new id and the nonces it saw. A rank that finds
 * its own nonce in {@code attempt} writes {@code ack-r} with that id. When every ack holds the
 * current id, rank 0 writes {@code go} with it. A nonce is new in each launch, so a rank never acts
 * on a stale file: a stale join makes rank 0 publish an attempt that rank ignores until the fresh
 * join replaces it and rank 0 publishes again. Files are replaced by atomic renames.
 */
final class FolderHandshake {
  private FolderHandshake() {}

  /**
   * The store folder of this launch, {@code dir/<id>}, created by rank 0.
   *
   * @throws CollectiveException when not every rank arrived before the deadline
   */
  static Path agree(Path dir, int rank, int size, long timeoutMs) throws IOException {
    checkUsable(dir, rank);
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    if (rank == 0) {
      return lead(dir, size, deadline, timeoutMs);
    }
    String nonce = UUID.randomUUID().toString();
    write(dir.resolve("join-" + rank), nonce);
    String acked = null;
    while (true) {
      String attempt = read(dir.resolve("attempt"));
      if (attempt != null) {
        String[] f = attempt.split("\n");
        if (Arrays.asList(f).subList(1, f.length).contains(rank + "=" + nonce)
            && !f[0].equals(acked)) {
          acked = f[0];
          write(dir.resolve("ack-" + rank), acked);
        }
      }
      if (acked != null && acked.equals(read(dir.resolve("go")))) {
        return dir.resolve(acked);
      }
      pause(deadline, rank, size, timeoutMs, "rank 0 did not answer");
    }
  }

  private static Path lead(Path dir, int size, long deadline, long timeoutMs) throws IOException {
    String published = null;
    String id = null;
    while (true) {
      StringBuilder nonces = new StringBuilder();
      int missing = -1;
      for (int r = 1; r < size; r++) {
        String n = read(dir.resolve("join-" + r));
        if (n == null) {
          missing = r;
          break;
        }
        nonces.append('\n').append(r).append('=').append(n);
      }
      if (missing < 0) {
        if (id == null || !nonces.toString().equals(published)) {
          id = UUID.randomUUID().toString();
          Files.createDirectories(dir.resolve(id));
          published = nonces.toString();
          write(dir.resolve("attempt"), id + published);
        }
        boolean all = true;
        for (int r = 1; r < size && all; r++) {
          all = id.equals(read(dir.resolve("ack-" + r)));
        }
        if (all) {
          write(dir.resolve("go"), id);
          return dir.resolve(id);
        }
      }
      pause(
          deadline,
          0,
          size,
          timeoutMs,
          missing > 0 ? "rank " + missing + " did not join" : "not every rank acknowledged");
    }
  }

  /**
   * Fails at once, in one line naming the folder, where the rendezvous could only time out: a file
   * in the folder's place, or a folder this rank cannot write in (every rank writes there).
   *
   * @throws IllegalArgumentException saying what is wrong and what to do
   */
  static void checkUsable(Path dir, int rank) {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "rank %d: the rendezvous file:%s is a file, not a folder: give a folder that every"
                  + " rank sees and may write in (it is created if missing)",
              rank,
              dir));
    }
    try {
      Files.createDirectories(dir);
      Path probe = dir.resolve("probe-" + rank + "." + UUID.randomUUID() + ".tmp");
      Files.writeString(probe, "", StandardCharsets.UTF_8);
      Files.delete(probe);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          String.format(
              Locale.ROOT,
              "rank %d: cannot write in the rendezvous folder %s (%s): every rank writes its files"
                  + " there; give a folder every rank may write in",
              rank,
              dir,
              reason(e)),
          e);
    }
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  private static void pause(long deadline, int rank, int size, long timeoutMs, String what) {
    if (System.nanoTime() > deadline) {
      throw new CollectiveException(
          String.format(
              Locale.ROOT,
              "rank %d of %d: rendezvous timed out after %d ms: %s",
              rank,
              size,
              timeoutMs,
              what),
          rank,
          -1,
          true);
    }
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CollectiveException(
          "rank " + rank + ": interrupted during the rendezvous", rank, -1, false);
    }
  }

  private static @Nullable String read(Path f) throws IOException {
    try {
      return Files.readString(f, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static void write(Path f, String content) throws IOException {
    Path tmp = f.resolveSibling(f.getFileName() + "." + UUID.randomUUID() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    try {
      Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
