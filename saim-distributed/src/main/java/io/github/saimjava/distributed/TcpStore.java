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
import java.util.HashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A minimal key-value store over TCP for the {@code tcp://} and {@code env} rendezvous (Debian's
 * Gloo has none): rank 0 serves it on a port, the others connect there. It lives as long as the
 * collective, so a relaunch starts with no stale keys. Protocol, one request at a time per
 * connection: {@code 'S' key length bytes} answered by {@code 0}; {@code 'G' key timeoutMs}
 * answered by {@code 0 length bytes}, or {@code 1 message} when the key was not set in time.
 */
final class TcpStore implements KeyValueStore, AutoCloseable {
  private final Map<String, byte[]> values = new HashMap<>();
  private final @Nullable ServerSocket server;

  /** The connection to rank 0's store; null on rank 0, which serves it. */
  private final @Nullable Connection client;

  private final String where;

  private TcpStore(@Nullable ServerSocket server, @Nullable Socket client, String where)
      throws IOException {
    this.server = server;
    this.where = where;
    this.client =
        client == null
            ? null
            : new Connection(
                client,
                new DataInputStream(new BufferedInputStream(client.getInputStream())),
                new DataOutputStream(new BufferedOutputStream(client.getOutputStream())));
  }

  private record Connection(Socket socket, DataInputStream in, DataOutputStream out) {}

  /** Rank 0: serves the store on {@code port} of every interface. */
  static TcpStore serve(int port) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    try {
      s.bind(new InetSocketAddress(port));
    } catch (IOException e) {
      s.close();
      throw new IOException(
          "rank 0 cannot serve the rendezvous store on port " + port + ": " + e.getMessage(), e);
    }
    TcpStore store = new TcpStore(s, null, "port " + port);
    Thread t = new Thread(() -> store.accept(s), "saim-rendezvous-store");
    t.setDaemon(true);
    t.start();
    return store;
  }

  /**
   * Other ranks: connects to rank 0's store, retrying until {@code timeoutMs} (rank 0 may start
   * later).
   */
  static TcpStore connect(String host, int port, long timeoutMs) throws IOException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    while (true) {
      Socket s = new Socket();
      try {
        s.connect(
            new InetSocketAddress(host, port), (int) Math.max(1, Math.min(timeoutMs, 10_000)));
        s.setTcpNoDelay(true);
        return new TcpStore(null, s, host + ":" + port);
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
    DataOutputStream out = c.out();
    DataInputStream in = c.in();
    out.writeByte('S');
    out.writeUTF(key);
    out.writeInt(value.length);
    out.write(value);
    out.flush();
    if (in.readByte() != 0) {
      throw new IOException("the rendezvous store at " + where + " refused key " + key);
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
    byte[] v = new byte[in.readInt()];
    in.readFully(v);
    return v;
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
      while (true) {
        int op = i.read();
        if (op < 0) {
          return;
        }
        String key = i.readUTF();
        if (op == 'S') {
          byte[] v = new byte[i.readInt()];
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
