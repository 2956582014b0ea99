package io.github.saimjava.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Java collective's Redis rendezvous against a stand-in server that answers {@code SET} and
 * {@code GET} as Redis does (RESP: arrays of bulk strings in, {@code +OK}, {@code $-1} or a bulk
 * string out).
 */
class RedisStoreTest {
  private ServerSocket server;
  private final Map<String, byte[]> keys = new ConcurrentHashMap<>();
  private final List<String> commands = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    server = new ServerSocket(0);
    Thread t =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket s = server.accept();
                  Thread c = new Thread(() -> serve(s));
                  c.setDaemon(true);
                  c.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
  }

  private void serve(Socket s) {
    try (s;
        DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()))) {
      OutputStream out = s.getOutputStream();
      while (true) {
        String head = line(in);
        if (head == null) {
          return;
        }
        int n = Integer.parseInt(head.substring(1));
        List<byte[]> args = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          int len = Integer.parseInt(line(in).substring(1));
          byte[] v = new byte[len];
          in.readFully(v);
          in.readFully(new byte[2]);
          args.add(v);
        }
        String cmd = new String(args.get(0), StandardCharsets.US_ASCII);
        String key = new String(args.get(1), StandardCharsets.UTF_8);
        synchronized (commands) {
          commands.add(cmd + " " + key);
        }
        if (cmd.equals("SET")) {
          keys.put(key, args.get(2));
          out.write("+OK\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
          byte[] v = keys.get(key);
          if (v == null) {
            out.write("$-1\r\n".getBytes(StandardCharsets.US_ASCII));
          } else {
            out.write(("$" + v.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(v);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          }
        }
        out.flush();
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  private static String line(DataInputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        return null;
      }
      if (c != '\r') {
        b.append((char) c);
      }
    }
    return b.toString();
  }

  @Test
  void aValueSetByOneClientIsReadByAnotherUnderTheRunsPrefix() throws Exception {
    Rendezvous.Redis r = new Rendezvous.Redis("127.0.0.1", server.getLocalPort(), "run7");
    try (RedisStore a = RedisStore.connect(r, 5_000);
        RedisStore b = RedisStore.connect(r, 5_000)) {
      byte[] value = {0, 13, 10, (byte) 0xff, 36};
      a.set("ring/1", value);
      assertArrayEquals(value, b.get("ring/1", 1_000));
      assertArrayEquals(value, keys.get("run7/ring/1"));
      IOException e = assertThrows(IOException.class, () -> b.get("ring/2", 100));
      assertEquals(
          "rendezvous key run7/ring/2 was not set on the Redis server at 127.0.0.1:"
              + server.getLocalPort()
              + " within 100 ms",
          e.getMessage());
    }
  }

  @Test
  void threeRanksMeetThroughRedis() throws Exception {
    List<Collective> w =
        RingCollectiveTest.connect(
            "redis://127.0.0.1:" + server.getLocalPort() + "/job42", 3, 30_000);
    try {
      List<Float> got =
          RingCollectiveTest.onAll(
              w,
              c -> {
                FloatBuffer b =
                    ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder()).asFloatBuffer();
                b.put(0, c.rank() + 1);
                c.allReduceSum(b);
                return b.get(0);
              });
      assertEquals(List.of(6f, 6f, 6f), got);
      assertTrue(
          keys.keySet().containsAll(List.of("job42/ring/0", "job42/ring/1", "job42/ring/2")));
    } finally {
      w.forEach(Collective::close);
    }
  }
}
