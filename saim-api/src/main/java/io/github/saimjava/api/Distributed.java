package io.github.saimjava.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Data-parallel training across processes (on one machine or many): this process is rank
 * {@code rank} of {@code worldSize}, and the ranks find each other through {@code rendezvous}.
 *
 * <p>Every rank runs the same training with the same settings; {@link SaimTrainer#batchSize()}
 * is the global micro-batch, split evenly over the ranks (each reads only its own part of every
 * batch), the gradients are averaged over the ranks before clipping and the optimiser step, and
 * rank 0 alone writes the output folder. A run resumes on any world size: rank 0 reads the
 * checkpoint and sends it to the others.
 *
 * @param worldSize number of processes
 * @param rank this process, {@code 0 .. worldSize - 1}
 * @param rendezvous {@code file:DIR} (a folder every rank sees) or {@code redis://HOST:PORT/RUN}
 * @param host the address the other ranks reach this one at; empty for the machine's host name
 * @param timeout how long the rendezvous and each collective wait for the other ranks before
 *     the run stops with an error naming the rank that did not answer
 */
public record Distributed(int worldSize, int rank, String rendezvous, String host, Duration timeout) {
  /** Default {@link #timeout()}: long enough for a slow step or a checkpoint written by rank 0. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  /**
   * Validates.
   *
   * @throws IllegalArgumentException naming the first invalid value
   */
  public Distributed {
    Objects.requireNonNull(rendezvous, "rendezvous");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(timeout, "timeout");
    Checks.check(worldSize >= 1, "world size (%s) must be positive", worldSize);
    Checks.check(rank >= 0 && rank < worldSize, "rank (%s) must be in 0 .. world size - 1 (world size %s)",
        rank, worldSize);
    Checks.check(!rendezvous.isBlank(), "rendezvous must be file:DIR or redis://HOST:PORT/RUN, got '%s'", rendezvous);
    Checks.check(!timeout.isNegative() && !timeout.isZero(), "time-out (%s) must be positive", timeout);
  }

  /** Rank {@code rank} of {@code worldSize}, on this machine's host name, with the default time-out. */
  public static Distributed of(int worldSize, int rank, String rendezvous) {
    return new Distributed(worldSize, rank, rendezvous, "", DEFAULT_TIMEOUT);
  }

  /** The same with another {@link #host()}. */
  public Distributed withHost(String v) {
    return new Distributed(worldSize, rank, rendezvous, v, timeout);
  }

  /** The same with another {@link #timeout()}. */
  public Distributed withTimeout(Duration v) {
    return new Distributed(worldSize, rank, rendezvous, host, v);
  }
}
