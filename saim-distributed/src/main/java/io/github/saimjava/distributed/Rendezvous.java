package io.github.saimjava.distributed;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Where the ranks of a run find each other before they connect: a key-value store on a folder all
 * ranks see ({@code file:DIR}) or on a Redis server ({@code redis://HOST:PORT/RUN}), or our own
 * small store served by rank 0 ({@code tcp://HOST:PORT}, as {@code MASTER_ADDR} and {@code
 * MASTER_PORT} name it), since Debian's Gloo has no store over TCP. {@link GlooCollective} uses
 * Gloo's file and Redis stores, {@link RingCollective} its own clients of the same three.
 */
public sealed interface Rendezvous permits Rendezvous.Folder, Rendezvous.Redis, Rendezvous.Tcp {
  /**
   * A folder shared by all ranks (a local folder for ranks on one machine, NFS or another shared
   * file system across machines). One run uses it at a time; a relaunch of the same run reuses it.
   */
  record Folder(Path dir) implements Rendezvous {
    @Override
    public String toString() {
      return "file:" + dir;
    }
  }

  /**
   * A Redis server every rank reaches. Keys are prefixed with {@code run}; each launch of a run
   * needs its own (Redis keeps the keys of a previous launch).
   */
  record Redis(String host, int port, String run) implements Rendezvous {
    @Override
    public String toString() {
      return "redis://" + host + ":" + port + "/" + run;
    }
  }

  /**
   * Rank 0 serves the store on {@code port} (all interfaces) for as long as the collective lives;
   * the other ranks connect to {@code host:port}, retrying until the time-out.
   */
  record Tcp(String host, int port) implements Rendezvous {
    @Override
    public String toString() {
      return "tcp://" + host + ":" + port;
    }
  }

  /**
   * Parses {@code file:DIR}, {@code redis://HOST:PORT/RUN} or {@code tcp://HOST:PORT}.
   *
   * @throws IllegalArgumentException naming the value and the accepted forms
   */
  static Rendezvous parse(String spec) {
    if (spec.startsWith("file:") && spec.length() > 5) {
      return new Folder(Path.of(spec.substring(5)));
    }
    if (spec.startsWith("redis://")) {
      String rest = spec.substring(8);
      int slash = rest.indexOf('/');
      int colon = rest.lastIndexOf(':', slash < 0 ? rest.length() : slash);
      if (slash > 0 && colon > 0 && slash < rest.length() - 1) {
        try {
          int port = Integer.parseInt(rest.substring(colon + 1, slash));
          if (port > 0 && port < 65536) {
            return new Redis(rest.substring(0, colon), port, rest.substring(slash + 1));
          }
        } catch (NumberFormatException e) {
          // fall through to the message below
        }
      }
    }
    if (spec.startsWith("tcp://")) {
      String rest = spec.substring(6);
      int colon = rest.lastIndexOf(':');
      if (colon > 0) {
        try {
          int port = Integer.parseInt(rest.substring(colon + 1));
          if (port > 0 && port < 65536) {
            return new Tcp(rest.substring(0, colon), port);
          }
        } catch (NumberFormatException e) {
          // fall through to the message below
        }
      }
    }
    throw new IllegalArgumentException(
        String.format(
            Locale.ROOT,
            "rendezvous '%s' is not file:DIR, redis://HOST:PORT/RUN or tcp://HOST:PORT",
            spec));
  }
}
