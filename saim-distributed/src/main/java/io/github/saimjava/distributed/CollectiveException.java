package io.github.saimjava.distributed;

import java.util.OptionalInt;

/**
 * A collective that did not complete: a peer closed its connection (it died or stopped), a peer did
 * not answer within the time-out, or the rendezvous failed. The message is one line naming this
 * rank, the operation and, when known, the peer.
 */
public final class CollectiveException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int rank;
  private final int peer;
  private final boolean timeout;

  CollectiveException(String message, int rank, int peer, boolean timeout) {
    super(message);
    this.rank = rank;
    this.peer = peer;
    this.timeout = timeout;
  }

  /** The rank that saw the failure. */
  public int rank() {
    return rank;
  }

  /** The rank the failure came from, when the transport said. */
  public OptionalInt peer() {
    return peer < 0 ? OptionalInt.empty() : OptionalInt.of(peer);
  }

  /** Whether the failure was a time-out (rather than a closed connection). */
  public boolean isTimeout() {
    return timeout;
  }
}
