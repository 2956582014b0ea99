package io.github.saimjava.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code tcp://} rendezvous store believes no length it is sent and speaks only to processes
 * that hold the job's secret. (No native library needed: the store is Java.)
 */
class TcpStoreTest {
  static final byte[] SECRET = "s3cret".getBytes(StandardCharsets.UTF_8);

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /**
   * Sends a set request with the length field {@code length} and no value bytes, after the
   * handshake; returns the store's answer: its status byte and message.
   */
  static String setWithLength(int port, int length) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port);
        DataInputStream in = new DataInputStream(s.getInputStream());
        DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
      s.setSoTimeout(5_000);
      byte[] challenge = new byte[32];
      in.readFully(challenge);
      out.write(TcpStore.hmac(SECRET, challenge));
      out.flush();
      assertEquals(0, in.readByte());
      out.writeByte('S');
      out.writeUTF("rank_1");
      out.writeInt(length);
      out.flush();
      int status = in.readByte();
      return status + " " + in.readUTF();
    }
  }

  @Test
  void aNegativeOrHugeLengthIsRefusedInOneLineAndTheStoreServesOn() throws Exception {
    int port = freePort();
    try (TcpStore store = TcpStore.serve(port, SECRET)) {
      String want =
          "1 the rendezvous store refuses a value of %d bytes for key rank_1 (at most 1048576): a"
              + " request from something other than a rank of this job?";
      assertTimeoutPreemptively(
          Duration.ofSeconds(10),
          () -> {
            assertEquals(String.format(want, -1), setWithLength(port, -1));
            for (int i = 0; i < 4; i++) {
              assertEquals(
                  String.format(want, Integer.MAX_VALUE), setWithLength(port, Integer.MAX_VALUE));
            }
          });
      // rank 0's memory did not grow by gigabytes, and the store still works
      long used = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
      assertEquals(true, used < 1L << 30, used + " bytes used");
      try (TcpStore rank1 = TcpStore.connect("127.0.0.1", port, 5_000, SECRET)) {
        rank1.set("k", new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, store.get("k", 1_000));
        assertArrayEquals(new byte[] {1, 2, 3}, rank1.get("k", 1_000));
        IOException big =
            assertThrows(
                IOException.class, () -> rank1.set("k2", new byte[TcpStore.MAX_VALUE + 1]));
        assertEquals(
            "the rendezvous store refuses a value of 1048577 bytes for key k2 (at most 1048576): a"
                + " request from something other than a rank of this job?",
            big.getMessage());
      }
    }
  }

  @Test
  void onlyAProcessWithTheSecretMaySpeakToTheStore() throws Exception {
    int port = freePort();
    try (TcpStore store = TcpStore.serve(port, SECRET)) {
      for (byte[] wrong : new byte[][] {new byte[0], "guess".getBytes(StandardCharsets.UTF_8)}) {
        IOException e =
            assertThrows(
                IOException.class, () -> TcpStore.connect("127.0.0.1", port, 5_000, wrong));
        assertEquals(
            "the rendezvous store at port "
                + port
                + " refused this process: it does not hold the job's secret (set"
                + " SAIM_RENDEZVOUS_SECRET or SAIM_RENDEZVOUS_SECRET_FILE alike for every rank)",
            e.getMessage());
      }
      // a client that skips the handshake and sends a request sets nothing
      try (Socket s = new Socket("127.0.0.1", port);
          DataOutputStream out = new DataOutputStream(s.getOutputStream());
          DataInputStream in = new DataInputStream(s.getInputStream())) {
        out.writeByte('S');
        out.writeUTF("rank_0");
        out.writeInt(3);
        out.write(new byte[] {9, 9, 9});
        out.write(new byte[32]);
        out.flush();
        in.readFully(new byte[32]);
        assertEquals(1, in.readByte());
      }
      IOException missing = assertThrows(IOException.class, () -> store.get("rank_0", 200));
      assertEquals("rendezvous key rank_0 was not set within 200 ms", missing.getMessage());
      try (TcpStore rank1 = TcpStore.connect("127.0.0.1", port, 5_000, SECRET)) {
        rank1.set("rank_1", new byte[] {7});
        assertArrayEquals(new byte[] {7}, store.get("rank_1", 1_000));
      }
    }
  }

  @Test
  void theSecretComesFromTheEnvironmentOrAFile(@TempDir Path dir) throws Exception {
    assertArrayEquals(new byte[0], TcpStore.secret(Map.of()));
    assertArrayEquals(SECRET, TcpStore.secret(Map.of("SAIM_RENDEZVOUS_SECRET", "s3cret")));
    Path f = Files.writeString(dir.resolve("secret"), "s3cret\n");
    assertArrayEquals(SECRET, TcpStore.secret(Map.of("SAIM_RENDEZVOUS_SECRET_FILE", f.toString())));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                TcpStore.secret(
                    Map.of("SAIM_RENDEZVOUS_SECRET_FILE", dir.resolve("none").toString())));
    assertEquals(
        "SAIM_RENDEZVOUS_SECRET_FILE names "
            + dir.resolve("none")
            + ", which cannot be read: "
            + dir.resolve("none"),
        e.getMessage());
  }
}
