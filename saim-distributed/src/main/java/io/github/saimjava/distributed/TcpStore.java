package io.github.saimjava.distributed;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * A minimal key-value store over TCP for the {@code tcp://} and {@code env} rendezvous (Debian's
 * Gloo has none): rank 0 serves it on a port, the others connect there. It lives as long as the
 * collective, so a relaunch starts with no stale keys.
 *
 * <p>A connection starts with a handshake: the store sends 32 random bytes, the rank answers with
 * their HMAC-SHA256 under the job's secret ({@value #SECRET}, or the file {@value #SECRET_FILE}
 * names; empty when neither is set), and the store answers {@code 0}, or {@code 1 message} and
 * closes the connection. Only processes that hold the secret can set or read keys. Then requests,
 * one at a time: {@code 'S' key length bytes} answered by {@code 0}; {@code 'G' key timeoutMs}
 * answered by {@code 0 length bytes}, or {@code 1 message} when the key was not set in time. A
 * value longer than {@value #MAX_VALUE} bytes (or of a negative length) is answered by {@code 1
 * message} before anything is allocated, and the connection closed.
 */
final class TcpStore implements KeyValueStore, AutoCloseable {
  /** The environment variable holding the job's shared secret. */
  static final String SECRET = "SAIM_RENDEZVOUS_SECRET";

  /** The environment variable naming a file that holds the secret (its first line). */
  static final String SECRET_FILE = "SAIM_RENDEZVOUS_SECRET_FILE";

  /** The longest value the store keeps: Gloo's addresses take a few hundred bytes. */
  static final int MAX_VALUE = 1 << 20;

  private static final int CHALLENGE = 32;

  /** How long a new connection may take to answer the challenge. */
  private static final int HANDSHAKE_MS = 10_000;

  private final Map<String, byte[]> values = new HashMap<>();
  private final byte[] secret;
  private final @Nullable ServerSocket server;

  /** The connection to rank 0's store; null on rank 0, which serves it. */
  private final @Nullable Connection client;

  private final String where;

  private TcpStore(
      @Nullable ServerSocket server, @Nullable Socket client, String where, byte[] secret)
      throws IOException {
    this.server = server;
    this.where = where;
    this.secret = secret.clone();
    this.client =
        client == null
            ? null
            : new Connection(
                client,
                new DataInputStream(new BufferedInputStream(client.getInputStream())),
                new DataOutputStream(new BufferedOutputStream(client.getOutputStream())));
  }

  private record Connection(Socket socket, DataInputStream in, DataOutputStream out) {}

  /**
   * The job's secret from {@code env}: {@value #SECRET}, or the first line of the file {@value
   * #SECRET_FILE} names; empty when neither is set.
   *
   * @throws IllegalArgumentException naming the file when it cannot be read or is empty
   */
  static byte[] secret(Map<String, String> env) {
    String value = env.get(SECRET);
    if (value != null && !value.isEmpty()) {
      return value.getBytes(StandardCharsets.UTF_8);
    }
    String file = env.get(SECRET_FILE);
    if (file == null || file.isEmpty()) {
      return new byte[0];
    }
    String line;
    try {
      line =
          Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream()
              .findFirst()
              .orElse("")
              .strip();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          SECRET_FILE + " names " + file + ", which cannot be read: " + e.getMessage(), e);
    }
    if (line.isEmpty()) {
      throw new IllegalArgumentException(
          SECRET_FILE + " names " + file + ", whose first line is empty: put the secret there");
    }
    return line.getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Rank 0: serves the store on {@code port} of every interface, to the holders of {@code secret}.
   */
  static TcpStore serve(int port, byte[] secret) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    try {
      s.bind(new InetSocketAddress(port));
    } catch (IOException e) {
      s.close();
      throw new IOException(
          "rank 0 cannot serve the rendezvous store on port " + port + ": " + e.getMessage(), e);
    }
    TcpStore store = new TcpStore(s, null, "port " + port, secret);
    Thread t = new Thread(() -> store.accept(s), "saim-rendezvous-store");
    t.setDaemon(true);
    t.start();
    return store;
  }

  /**
   * Other ranks: connects to rank 0's store, retrying until {@code timeoutMs} (rank 0 may start
   * later), and proves it holds {@code secret}.
   *
   * @throws IOException when the store does not answer in time or refuses this rank's secret
   */
  static TcpStore connect(String host, int port, long timeoutMs, byte[] secret) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (true) {
      Socket s = new Socket();
      try {
        s.connect(
            new InetSocketAddress(host, port), (int) Math.max(1, Math.min(timeoutMs, 10_000)));
        s.setTcpNoDelay(true);
        TcpStore store = new TcpStore(null, s, host + ":" + port, secret);
        store.answerChallenge();
        return store;
      } catch (ConnectException e) {
        s.close();
        if (System.nanoTime() > deadline) {
          throw new IOException(
              "the rendezvous store of rank 0 at "
                  + host
                  + ":"
                  + port
                  + " did not answer within "
                  + timeoutMs
                  + " ms ("
                  + e.getMessage()
                  + ")",
              e);
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while connecting to " + host + ":" + port, ie);
        }
      }
    }
  }

  @Override
  public void set(String key, byte[] value) throws IOException {
    Connection c = client;
    if (c == null) {
      put(key, value);
      return;
    }
    if (value.length > MAX_VALUE) {
      throw new IOException(tooLong(key, value.length));
    }
    DataOutputStream out = c.out();
    DataInputStream in = c.in();
    out.writeByte('S');
    out.writeUTF(key);
    out.writeInt(value.length);
    out.write(value);
    out.flush();
    if (in.readByte() != 0) {
      throw new IOException(
          "the rendezvous store at " + where + " refused key " + key + ": " + in.readUTF());
    }
  }

  @Override
  public byte[] get(String key, long timeoutMs) throws IOException {
    Connection c = client;
    if (c == null) {
      return take(key, timeoutMs);
    }
    DataOutputStream out = c.out();
    DataInputStream in = c.in();
    out.writeByte('G');
    out.writeUTF(key);
    out.writeLong(timeoutMs);
    out.flush();
    if (in.readByte() != 0) {
      throw new IOException(in.readUTF());
    }
    int n = in.readInt();
    if (n < 0 || n > MAX_VALUE) {
      throw new IOException(
          "the rendezvous store at " + where + " sent a value of " + n + " bytes for key " + key);
    }
    byte[] v = new byte[n];
    in.readFully(v);
    return v;
  }

  /** A rank's side of the handshake: the HMAC of the store's challenge under the secret. */
  private void answerChallenge() throws IOException {
    Connection c = client;
    if (c == null) {
      return;
    }
    byte[] challenge = new byte[CHALLENGE];
    c.in().readFully(challenge);
    c.out().write(hmac(secret, challenge));
    c.out().flush();
    if (c.in().readByte() != 0) {
      String why = c.in().readUTF();
      c.socket().close();
      throw new IOException(why);
    }
  }

  /** The answer to {@code challenge} under {@code secret}. */
  static byte[] hmac(byte[] secret, byte[] challenge) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      // a fixed prefix: an empty secret is still a key
      byte[] key =
          ("saim-rendezvous:" + new String(secret, StandardCharsets.UTF_8))
              .getBytes(StandardCharsets.UTF_8);
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(challenge);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this Java runtime", e);
    }
  }

  private static String tooLong(String key, long length) {
    return String.format(
        Locale.ROOT,
        "the rendezvous store refuses a value of %d bytes for key %s (at most %d): a request from"
            + " something other than a rank of this job?",
        length,
        key,
        MAX_VALUE);
  }

  private synchronized void put(String key, byte[] value) {
    values.put(key, value.clone());
    notifyAll();
  }

  private synchronized byte[] take(String key, long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (!values.containsKey(key)) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        throw new IOException("rendezvous key " + key + " was not set within " + timeoutMs + " ms");
      }
      try {
        wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for rendezvous key " + key, e);
      }
    }
    return values.get(key);
  }

  private void accept(ServerSocket server) {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        Thread t =
            new Thread(() -> serve(s), "saim-rendezvous-store-" + s.getRemoteSocketAddress());
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        // closed
      }
    }
  }

  private void serve(Socket s) {
    try (s;
        DataInputStream i = new DataInputStream(new BufferedInputStream(s.getInputStream()));
        DataOutputStream o = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()))) {
      if (!challenge(s, i, o)) {
        return;
      }
      while (true) {
        int op = i.read();
        if (op < 0) {
          return;
        }
        String key = i.readUTF();
        if (op == 'S') {
          int n = i.readInt();
          if (n < 0 || n > MAX_VALUE) {
            o.writeByte(1);
            o.writeUTF(tooLong(key, n));
            o.flush();
            return;
          }
          byte[] v = new byte[n];
          i.readFully(v);
          put(key, v);
          o.writeByte(0);
        } else if (op == 'G') {
          long timeout = i.readLong();
          try {
            byte[] v = take(key, timeout);
            o.writeByte(0);
            o.writeInt(v.length);
            o.write(v);
          } catch (IOException e) {
            o.writeByte(1);
            o.writeUTF(e.getMessage());
          }
        } else {
          o.writeByte(1);
          o.writeUTF(
              String.format(Locale.ROOT, "the rendezvous store knows no request 0x%02x", op));
          o.flush();
          return;
        }
        o.flush();
      }
    } catch (EOFException e) {
      // the rank closed its connection
    } catch (IOException e) {
      // a rank went away; its own side reports it
    }
  }

  /**
   * The store's side of the handshake: whether the peer answered the challenge with the secret (if
   * not, it has been told so).
   */
  private boolean challenge(Socket s, DataInputStream i, DataOutputStream o) throws IOException {
    byte[] challenge = new byte[CHALLENGE];
    new SecureRandom().nextBytes(challenge);
    o.write(challenge);
    o.flush();
    byte[] answer = new byte[32];
    s.setSoTimeout(HANDSHAKE_MS);
    i.readFully(answer);
    s.setSoTimeout(0);
    if (!MessageDigest.isEqual(answer, hmac(secret, challenge))) {
      o.writeByte(1);
      o.writeUTF(
          "the rendezvous store at "
              + where
              + " refused this process: it does not hold the job's secret (set "
              + SECRET
              + " or "
              + SECRET_FILE
              + " alike for every rank)");
      o.flush();
      return false;
    }
    o.writeByte(0);
    o.flush();
    return true;
  }

  @Override
  public void close() throws IOException {
    if (client != null) {
      client.socket().close();
    }
    if (server != null) {
      server.close();
    }
  }
}
