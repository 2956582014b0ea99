package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.Test;

class AllReduceProfileTest {
  static JsonObject line(String fields) {
    return JsonParser.parseString("{\"type\":\"step\"" + fields + "}").getAsJsonObject();
  }

  @Test
  void takeGivesTheMeanSecondsPerStepOfEachPartAndStartsAfresh() {
    AllReduceProfile p = new AllReduceProfile();
    p.add(2_000_000_000L, 100_000_000L, 300_000_000L, 1_000_000_000L, 400_000_000L, 200_000_000L);
    p.add(4_000_000_000L, 300_000_000L, 100_000_000L, 3_000_000_000L, 0L, 600_000_000L);
    JsonObject o = line(p.take());
    assertEquals(3.0, o.get("allreduce_s").getAsDouble(), 1e-12);
    assertEquals(0.2, o.get("allreduce_copy_out_s").getAsDouble(), 1e-12);
    assertEquals(0.2, o.get("allreduce_wait_s").getAsDouble(), 1e-12);
    assertEquals(2.0, o.get("allreduce_wire_s").getAsDouble(), 1e-12);
    assertEquals(0.2, o.get("allreduce_reduce_s").getAsDouble(), 1e-12);
    assertEquals(0.4, o.get("allreduce_copy_in_s").getAsDouble(), 1e-12);
    assertEquals("", p.take(), "nothing since the last take");
    p.add(1_000L, 0L, 0L, 1_000L, 0L, 0L);
    assertEquals(1e-6, line(p.take()).get("allreduce_wire_s").getAsDouble(), 1e-12);
  }

  @Test
  void aNegativeReadingCountsAsZero() {
    AllReduceProfile p = new AllReduceProfile();
    p.add(5_000L, 1_000L, 1_000L, -3_000L, 3_000L, 0L);
    assertEquals(0.0, line(p.take()).get("allreduce_wire_s").getAsDouble(), 0);
  }
}
