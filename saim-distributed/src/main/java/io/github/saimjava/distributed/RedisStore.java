package io.github.saimjava.distributed;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The rendezvous store on a Redis server ({@code redis://HOST:PORT/RUN}), spoken to with the two
 * commands it needs, {@code SET} and {@code GET}, in Redis's wire protocol (RESP). Keys are {@code
 * RUN/key}; a value not set yet is polled for.
 */
final class RedisStore implements KeyValueStore, AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final String prefix;
  private final String where;

  private RedisStore(Socket socket, String prefix, String where) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream());
    this.out = socket.getOutputStream();
    this.prefix = prefix;
    this.where = where;
  }

  /** Connects, retrying until {@code timeoutMs} (the server may start with the job). */
  static RedisStore connect(Rendezvous.Redis r, long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (true) {
      Socket s = new Socket();
      try {
        s.connect(
            new InetSocketAddress(r.host(), r.port()),
            (int) Math.max(1, Math.min(timeoutMs, 10_000)));
        s.setTcpNoDelay(true);
        return new RedisStore(s, r.run() + "/", r.host() + ":" + r.port());
      } catch (ConnectException e) {
        s.close();
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "the Redis server at "
                  + r.host()
                  + ":"
                  + r.port()
                  + " did not answer within "
                  + timeoutMs
                  + " ms ("
                  + e.getMessage()
                  + ")",
              e);
        }
        sleep(100);
      }
    }
  }

  @Override
  public synchronized void set(String key, byte[] value) throws IOException {
    command("SET", (prefix + key).getBytes(StandardCharsets.UTF_8), value);
    int type = in.read();
    String line = line();
    if (type != '+') {
      throw new IOException(
          "the Redis server at " + where + " refused key " + prefix + key + ": " + line);
    }
  }

  @Override
  public synchronized byte[] get(String key, long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (true) {
      command("GET", (prefix + key).getBytes(StandardCharsets.UTF_8));
      int type = in.read();
      String line = line();
      if (type != '$') {
        throw new IOException(
            "the Redis server at " + where + " answered GET " + prefix + key + " with: " + line);
      }
      int n = Integer.parseInt(line);
      if (n >= 0) {
        if (n > TcpStore.MAX_VALUE) {
          throw new IOException(
              "the Redis server at " + where + " holds " + n + " bytes under " + prefix + key);
        }
        byte[] v = in.readNBytes(n);
        if (v.length < n || in.read() != '\r' || in.read() != '\n') {
          throw new EOFException("the Redis server at " + where + " closed the connection");
        }
        return v;
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "rendezvous key "
                + prefix
                + key
                + " was not set on the Redis server at "
                + where
                + " within "
                + timeoutMs
                + " ms");
      }
      sleep(20);
    }
  }

  private void command(String name, byte[]... args) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("*" + (args.length + 1) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    bulk(b, name.getBytes(StandardCharsets.US_ASCII));
    for (byte[] a : args) {
      bulk(b, a);
    }
    out.write(b.toByteArray());
    out.flush();
  }

  private static void bulk(ByteArrayOutputStream b, byte[] v) {
    b.writeBytes(("$" + v.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
    b.writeBytes(v);
    b.writeBytes(new byte[] {'\r', '\n'});
  }

  /** The rest of a reply line, without its CR LF. */
  private String line() throws IOException {
    StringBuilder s = new StringBuilder();
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new EOFException("the Redis server at " + where + " closed the connection");
      }
      if (c == '\n' && s.length() > 0 && s.charAt(s.length() - 1) == '\r') {
        return s.substring(0, s.length() - 1);
      }
      if (s.length() > 4096) {
        throw new IOException("the server at " + where + " does not speak Redis's protocol");
      }
      s.append((char) c);
    }
  }

  private static void sleep(long ms) throws IOException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the Redis server", e);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
