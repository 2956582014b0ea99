package io.github.saimjava.train;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.saimjava.distributed.Collective;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The check that the ranks of a data-parallel world were launched with the same settings, made once
 * before the first step. Only gradients are all-reduced during training, so ranks that differ in
 * the model, the recipe, the data, the precision, the seed or the step budget would otherwise train
 * a mixed model (or hang, or crash inside the transport) without a word.
 *
 * <p>Exchange, three collectives whatever the world size: rank 0 broadcasts its settings (their
 * length, then the bytes); every rank compares them with its own and an all-reduce tells all ranks
 * which differ. Only when one does, the lowest such rank broadcasts its settings too, so that every
 * rank words the same one-line message naming the first differing setting and both values.
 */
final class WorldAgreement {
  /** What a setting that one rank has and the other lacks reads as. */
  static final String UNSET = "(not set)";

  private WorldAgreement() {}

  /**
   * The settings of {@code config} flattened to {@code section.key -> JSON value}, in the config's
   * order.
   */
  static Map<String, String> flatten(JsonObject config) {
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", config, out);
    return out;
  }

  private static void flatten(String prefix, JsonObject o, Map<String, String> out) {
    for (Map.Entry<String, JsonElement> e : o.entrySet()) {
      String key = prefix + e.getKey();
      if (e.getValue().isJsonObject()) {
        flatten(key + ".", e.getValue().getAsJsonObject(), out);
      } else {
        out.put(key, e.getValue().toString());
      }
    }
  }

  /**
   * The first setting in which {@code other} (the settings of rank {@code rank}) differs from
   * {@code first} (rank 0's), worded as one line, or null when they agree.
   */
  static @Nullable String difference(
      Map<String, String> first, Map<String, String> other, int rank) {
    Set<String> keys = new LinkedHashSet<>(first.keySet());
    keys.addAll(other.keySet());
    for (String k : keys) {
      String a = first.getOrDefault(k, UNSET);
      String b = other.getOrDefault(k, UNSET);
      if (!a.equals(b)) {
        return String.format(
            Locale.ROOT,
            "rank %d was launched with other settings than rank 0: %s is %s on rank 0 and %s on"
                + " rank %d; launch every rank with the same settings (nothing was trained or"
                + " written)",
            rank,
            k,
            a,
            b,
            rank);
      }
    }
    return null;
  }

  /**
   * Compares {@code mine} with the other ranks' settings.
   *
   * @throws IllegalArgumentException on every rank alike, naming the lowest rank that differs from
   *     rank 0, the first setting it differs in and both values
   * @throws io.github.saimjava.distributed.CollectiveException when a rank does not take part
   */
  static void check(Collective c, JsonObject mine) {
    byte[] own = mine.toString().getBytes(StandardCharsets.UTF_8);
    byte[] first = share(c, own, 0);
    Map<String, String> zero = flatten(parse(first));
    Map<String, String> me = flatten(mine);
    // slot r is 1 when rank r differs from rank 0 (0/1 sums are exact in float32)
    FloatBuffer differs =
        ByteBuffer.allocateDirect(c.worldSize() * Float.BYTES)
            .order(ByteOrder.nativeOrder())
            .asFloatBuffer();
    if (!Arrays.equals(own, first) && difference(zero, me, c.rank()) != null) {
      differs.put(c.rank(), 1f);
    }
    c.allReduceSum(differs);
    for (int r = 1; r < c.worldSize(); r++) {
      if (differs.get(r) != 0) {
        byte[] theirs = share(c, r == c.rank() ? own : new byte[0], r);
        String message = difference(zero, flatten(parse(theirs)), r);
        int more = 0;
        for (int q = r + 1; q < c.worldSize(); q++) {
          more += differs.get(q) != 0 ? 1 : 0;
        }
        throw new IllegalArgumentException(
            more == 0
                ? message
                : message
                    + " ("
                    + more
                    + (more == 1 ? " more rank differs)" : " more ranks differ)"));
      }
    }
  }

  /** Rank {@code root}'s {@code bytes} on every rank (the length first, then the bytes). */
  private static byte[] share(Collective c, byte[] bytes, int root) {
    ByteBuffer length = ByteBuffer.allocateDirect(Integer.BYTES);
    length.putInt(0, bytes.length);
    c.broadcast(length, root);
    int n = length.getInt(0);
    if (n == 0) {
      return new byte[0];
    }
    ByteBuffer buf = ByteBuffer.allocateDirect(n);
    if (c.rank() == root) {
      buf.put(0, bytes);
    }
    c.broadcast(buf, root);
    byte[] out = new byte[n];
    buf.get(0, out);
    return out;
  }

  private static JsonObject parse(byte[] bytes) {
    return bytes.length == 0
        ? new JsonObject()
        : JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8)).getAsJsonObject();
  }
}
