package io.github.saimjava.api;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Data-parallel training across processes (on one machine or many): this process is rank {@code
 * rank} of {@code worldSize}, and the ranks find each other through {@code rendezvous}.
 *
 * <p>Every rank runs the same training with the same settings; {@link SaimTrainer.Spec#batchSize()}
 * is the global micro-batch, split evenly over the ranks (each reads only its own part of every
 * batch), the gradients are averaged over the ranks before clipping and the optimiser step, and
 * rank 0 alone writes the output folder. A run resumes on any world size: rank 0 reads the
 * checkpoint and sends it to the others.
 *
 * @param worldSize number of processes
 * @param rank this process, {@code 0 .. worldSize - 1}
 * @param rendezvous {@code file:DIR} (a folder every rank sees), {@code redis://HOST:PORT/RUN}, or
 *     {@code tcp://HOST:PORT} (rank 0 serves the store on PORT; see {@link #fromEnvironment})
 * @param host the address the other ranks reach this one at; empty for the machine's host name
 * @param timeout how long the rendezvous and each collective wait for the other ranks before the
 *     run stops with an error naming the rank that did not answer
 */
public record Distributed(
    int worldSize, int rank, String rendezvous, String host, Duration timeout) {
  /** Default {@link #timeout()}: long enough for a slow step or a checkpoint written by rank 0. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  /**
   * Validates.
   *
   * @param worldSize number of processes, at least 1
   * @param rank this process, {@code 0 .. worldSize - 1}
   * @param rendezvous where the ranks find each other, not blank
   * @param host the address the other ranks reach this one at; empty for the machine's host name
   * @param timeout how long to wait for the other ranks, positive
   * @throws IllegalArgumentException naming the first invalid value
   */
  public Distributed {
    Objects.requireNonNull(rendezvous, "rendezvous");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(timeout, "timeout");
    Checks.check(worldSize >= 1, "world size (%s) must be positive", worldSize);
    Checks.check(
        rank >= 0 && rank < worldSize,
        "rank (%s) must be in 0 .. world size - 1 (world size %s)",
        rank,
        worldSize);
    Checks.check(
        !rendezvous.isBlank(),
        "rendezvous must be file:DIR, redis://HOST:PORT/RUN or tcp://HOST:PORT, got '%s'",
        rendezvous);
    Checks.check(
        !timeout.isNegative() && !timeout.isZero(), "time-out (%s) must be positive", timeout);
  }

  /**
   * Rank {@code rank} of {@code worldSize}, on this machine's host name, with the default time-out.
   *
   * @param worldSize number of processes
   * @param rank this process, {@code 0 .. worldSize - 1}
   * @param rendezvous {@code file:DIR}, {@code redis://HOST:PORT/RUN} or {@code tcp://HOST:PORT}
   * @return the settings
   * @throws IllegalArgumentException naming the first invalid value
   */
  public static Distributed of(int worldSize, int rank, String rendezvous) {
    return new Distributed(worldSize, rank, rendezvous, "", DEFAULT_TIMEOUT);
  }

  /**
   * The rank, world size and rendezvous a launcher put in the environment, as torchrun, Kubeflow's
   * PyTorchJob and most Slurm scripts do: {@code RANK} and {@code WORLD_SIZE} (else Slurm's {@code
   * SLURM_PROCID} and {@code SLURM_NTASKS}), and {@code MASTER_ADDR}, {@code MASTER_PORT}, where
   * rank 0 serves the rendezvous store ({@code tcp://MASTER_ADDR:MASTER_PORT}). Under torchrun,
   * whose agent already holds {@code MASTER_PORT} with its own store, set {@code SAIM_STORE_PORT}
   * to another free port of rank 0's machine.
   *
   * @param env the environment, e.g. {@link System#getenv()}
   * @return the settings, with a {@code tcp:} rendezvous and the default time-out
   * @throws IllegalArgumentException naming the variable that is missing or malformed
   */
  public static Distributed fromEnvironment(Map<String, String> env) {
    int rank = intVar(env, "RANK", "SLURM_PROCID");
    int worldSize = intVar(env, "WORLD_SIZE", "SLURM_NTASKS");
    String addr = env.get("MASTER_ADDR");
    Checks.check(
        addr != null && !addr.isBlank(),
        "environment variable MASTER_ADDR is not set: the address of rank 0");
    String port = env.get("SAIM_STORE_PORT");
    if (port == null) {
      Checks.check(
          !"True".equalsIgnoreCase(env.get("TORCHELASTIC_USE_AGENT_STORE")),
          "launched by torchrun, whose agent holds MASTER_PORT (%s) with its own store: set"
              + " SAIM_STORE_PORT to another free port",
          env.get("MASTER_PORT"));
      port =
          Checks.present(
              env.get("MASTER_PORT"),
              "environment variable MASTER_PORT is not set: the port rank 0 serves the rendezvous"
                  + " on");
    }
    int p;
    try {
      p = Integer.parseInt(port.trim());
    } catch (NumberFormatException e) {
      p = -1;
    }
    Checks.check(p > 0 && p < 65536, "the rendezvous port must be in 1 .. 65535, got '%s'", port);
    return new Distributed(worldSize, rank, "tcp://" + addr + ":" + p, "", DEFAULT_TIMEOUT);
  }

  private static int intVar(Map<String, String> env, String name, String slurm) {
    String used = env.containsKey(name) ? name : slurm;
    String v =
        Checks.present(env.get(used), "environment variable %s (or %s) is not set", name, slurm);
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "environment variable " + used + " is not a number: '" + v + "'", e);
    }
  }

  /**
   * The same with another {@link #host()}.
   *
   * @param v the address the other ranks reach this one at; empty for the machine's host name
   * @return a copy with that host
   */
  public Distributed withHost(String v) {
    return new Distributed(worldSize, rank, rendezvous, v, timeout);
  }

  /**
   * The same with another {@link #timeout()}.
   *
   * @param v how long to wait for the other ranks, positive
   * @return a copy with that time-out
   * @throws IllegalArgumentException when {@code v} is not positive
   */
  public Distributed withTimeout(Duration v) {
    return new Distributed(worldSize, rank, rendezvous, host, v);
  }
}
