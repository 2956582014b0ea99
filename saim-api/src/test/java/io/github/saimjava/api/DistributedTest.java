package io.github.saimjava.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DistributedTest {
  @Test
  void theLaunchersEnvironmentGivesRankWorldAndRankZerosStore() {
    Distributed d =
        Distributed.fromEnvironment(
            Map.of(
                "RANK", "3", "WORLD_SIZE", "4", "MASTER_ADDR", "10.0.0.7", "MASTER_PORT", "29500"));
    assertEquals(new Distributed(4, 3, "tcp://10.0.0.7:29500", "", Distributed.DEFAULT_TIMEOUT), d);
    // Slurm's own variables when RANK and WORLD_SIZE are not set
    assertEquals(
        new Distributed(8, 5, "tcp://node01:29500", "", Distributed.DEFAULT_TIMEOUT),
        Distributed.fromEnvironment(
            Map.of(
                "SLURM_PROCID",
                "5",
                "SLURM_NTASKS",
                "8",
                "MASTER_ADDR",
                "node01",
                "MASTER_PORT",
                "29500")));
    // torchrun: its agent holds MASTER_PORT, so another port is asked for
    Map<String, String> torchrun =
        Map.of(
            "RANK",
            "0",
            "WORLD_SIZE",
            "2",
            "MASTER_ADDR",
            "h",
            "MASTER_PORT",
            "29500",
            "TORCHELASTIC_USE_AGENT_STORE",
            "True");
    assertEquals(
        "launched by torchrun, whose agent holds MASTER_PORT (29500) with its own store: set"
            + " SAIM_STORE_PORT to another free port",
        assertThrows(IllegalArgumentException.class, () -> Distributed.fromEnvironment(torchrun))
            .getMessage());
    Map<String, String> withPort = new java.util.HashMap<>(torchrun);
    withPort.put("SAIM_STORE_PORT", "29501");
    assertEquals("tcp://h:29501", Distributed.fromEnvironment(withPort).rendezvous());
  }

  @Test
  void aMissingOrMalformedVariableIsNamed() {
    assertEquals(
        "environment variable RANK (or SLURM_PROCID) is not set",
        assertThrows(
                IllegalArgumentException.class,
                () -> Distributed.fromEnvironment(Map.of("WORLD_SIZE", "2")))
            .getMessage());
    assertEquals(
        "environment variable WORLD_SIZE is not a number: 'two'",
        assertThrows(
                IllegalArgumentException.class,
                () -> Distributed.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "two")))
            .getMessage());
    assertEquals(
        "environment variable MASTER_ADDR is not set: the address of rank 0",
        assertThrows(
                IllegalArgumentException.class,
                () -> Distributed.fromEnvironment(Map.of("RANK", "0", "WORLD_SIZE", "2")))
            .getMessage());
    assertEquals(
        "the rendezvous port must be in 1 .. 65535, got '0'",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    Distributed.fromEnvironment(
                        Map.of(
                            "RANK",
                            "0",
                            "WORLD_SIZE",
                            "2",
                            "MASTER_ADDR",
                            "h",
                            "MASTER_PORT",
                            "0")))
            .getMessage());
    assertEquals(
        "rank (2) must be in 0 .. world size - 1 (world size 2)",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    Distributed.fromEnvironment(
                        Map.of(
                            "RANK",
                            "2",
                            "WORLD_SIZE",
                            "2",
                            "MASTER_ADDR",
                            "h",
                            "MASTER_PORT",
                            "1")))
            .getMessage());
  }

  @Test
  void valuesAreChecked() {
    assertEquals(
        "world size (0) must be positive",
        assertThrows(IllegalArgumentException.class, () -> Distributed.of(0, 0, "file:/x"))
            .getMessage());
    assertEquals(
        "time-out (PT0S) must be positive",
        assertThrows(
                IllegalArgumentException.class,
                () -> Distributed.of(2, 0, "file:/x").withTimeout(Duration.ZERO))
            .getMessage());
  }
}
