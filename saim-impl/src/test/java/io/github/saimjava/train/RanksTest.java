package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the ranks of a world share besides gradients: counts summed over all of them, and the
 * checkpoint copy a rank receives, which leaves no debris.
 */
class RanksTest {
  @Test
  void countsAreSummedOverTheRanksExactly() throws Exception {
    long big = (1L << 40) + 12345;
    List<Object> sums =
        new ThreadWorld(3).run(c -> new Ranks(c).sum(c.rank() == 1 ? 2 : c.rank() == 2 ? big : 0));
    assertEquals(List.of(big + 2, big + 2, big + 2), sums);
  }

  @Test
  void aReceivedCheckpointIsNamedForItsProcessAndDeletedOnClose(@TempDir Path dir)
      throws Exception {
    byte[] content = new byte[1000];
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 7);
    }
    Path ckpt = Files.write(dir.resolve("checkpoint.safetensors"), content);
    List<Object> got =
        new ThreadWorld(2)
            .run(
                c -> {
                  try (Ranks r = new Ranks(c)) {
                    Path p = r.shareCheckpoint(c.rank() == 0 ? ckpt : null);
                    String name = p.getFileName().toString();
                    byte[] bytes = Files.readAllBytes(p);
                    return List.of(name, bytes, p);
                  } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                });
    List<?> one = (List<?>) got.get(1);
    String name = (String) one.get(0);
    assertTrue(
        name.matches(
            "saim-rank1-checkpoint-pid" + ProcessHandle.current().pid() + "-[0-9]+\\.safetensors"),
        name);
    assertArrayEquals(content, (byte[]) one.get(1));
    assertFalse(Files.exists((Path) one.get(2)), "the received copy outlived close()");
    assertTrue(Files.exists(ckpt), "rank 0's own checkpoint was deleted");
  }

  @Test
  void copiesOfRanksThatAreGoneAreSweptAndLiveOnesKept(@TempDir Path dir) throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path stale =
        Files.createFile(
            dir.resolve("saim-rank1-checkpoint-pid" + gone.pid() + "-123.safetensors"));
    Path live =
        Files.createFile(
            dir.resolve(
                "saim-rank2-checkpoint-pid" + ProcessHandle.current().pid() + "-456.safetensors"));
    Path other = Files.createFile(dir.resolve("saim-rank-notes.txt"));
    assertEquals(1, Ranks.sweepReceived(dir));
    assertFalse(Files.exists(stale));
    assertTrue(Files.exists(live) && Files.exists(other));
  }
}
