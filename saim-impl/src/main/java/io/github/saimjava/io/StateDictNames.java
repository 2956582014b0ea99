package io.github.saimjava.io;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pure renamings between state-dict layouts. timm and MAE fuse the attention projections into one
 * {@code <prefix>attn.qkv.weight} of shape {@code [3D, D]} (and {@code attn.qkv.bias} of shape
 * {@code [3D]}) whose rows are q, then k, then v; this project keeps them as separate {@code
 * attn.q}, {@code attn.k} and {@code attn.v} tensors. Both directions keep every other entry and
 * the map order (the pieces take the fused tensor's place and vice versa), and neither changes its
 * argument.
 */
public final class StateDictNames {
  private static final Pattern FUSED = Pattern.compile("(.*\\.)?attn\\.qkv\\.(weight|bias)");
  private static final Pattern PIECE = Pattern.compile("(.*\\.)?attn\\.([qkv])\\.(weight|bias)");
  private static final String[] PARTS = {"q", "k", "v"};

  private StateDictNames() {}

  /**
   * Splits every fused {@code attn.qkv.weight} ({@code [3D, D]}) and {@code attn.qkv.bias} ({@code
   * [3D]}) into {@code attn.q/k/v.weight} ({@code [D, D]}) and {@code .bias} ({@code [D]}), taking
   * rows in q, k, v order.
   *
   * @param stateDict tensors by name
   * @return a new map (unmodifiable) in the same order, the pieces in place of each fused tensor
   * @throws IllegalArgumentException naming the entry when a fused tensor has the wrong rank, a
   *     first dimension not divisible by 3, or a piece's name is already taken
   */
  public static Map<String, HostTensor> splitQkv(Map<String, HostTensor> stateDict) {
    LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : stateDict.entrySet()) {
      String name = e.getKey();
      Matcher m = FUSED.matcher(name);
      if (!m.matches()) {
        put(out, name, e.getValue());
        continue;
      }
      HostTensor fused = e.getValue();
      long[] shape = fused.shape();
      int rank = m.group(2).equals("weight") ? 2 : 1;
      if (shape.length != rank || shape[0] % 3 != 0) {
        throw new IllegalArgumentException(
            "'"
                + name
                + "' has shape "
                + Arrays.toString(shape)
                + "; a fused qkv "
                + m.group(2)
                + " needs rank "
                + rank
                + " and a first dimension divisible by 3");
      }
      long[] pieceShape = shape.clone();
      pieceShape[0] = shape[0] / 3;
      int pieceBytes = fused.data().remaining() / 3;
      String base = name.substring(0, name.length() - ("qkv." + m.group(2)).length());
      for (int i = 0; i < 3; i++) {
        String pieceName = base + PARTS[i] + "." + m.group(2);
        if (stateDict.containsKey(pieceName)) {
          throw new IllegalArgumentException(
              "cannot split '" + name + "': '" + pieceName + "' already exists");
        }
        ByteBuffer slice = fused.data();
        slice.position(i * pieceBytes).limit((i + 1) * pieceBytes);
        put(out, pieceName, HostTensor.of(fused.dtype(), pieceShape, slice));
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * Fuses each complete set of {@code attn.q/k/v.weight} (or {@code .bias}) with equal shapes and
   * types into one {@code attn.qkv.weight} (or {@code .bias}), rows in q, k, v order, placed where
   * the q piece was. Incomplete sets (such as a cross-attention's lone {@code attn.q}) are left as
   * they are. The inverse of {@link #splitQkv} when the pieces are adjacent in q, k, v order.
   *
   * @param stateDict tensors by name
   * @return a new map (unmodifiable) in the same order
   * @throws IllegalArgumentException naming the entries when the pieces of a set disagree in shape
   *     or type, or the fused name is already taken
   */
  public static Map<String, HostTensor> fuseQkv(Map<String, HostTensor> stateDict) {
    LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
    for (Map.Entry<String, HostTensor> e : stateDict.entrySet()) {
      String name = e.getKey();
      Matcher m = PIECE.matcher(name);
      if (!m.matches()) {
        put(out, name, e.getValue());
        continue;
      }
      String prefix = m.group(1) == null ? "" : m.group(1);
      String suffix = m.group(3);
      String[] names = new String[3];
      HostTensor[] pieces = new HostTensor[3];
      boolean complete = true;
      for (int i = 0; i < 3; i++) {
        names[i] = prefix + "attn." + PARTS[i] + "." + suffix;
        pieces[i] = stateDict.get(names[i]);
        complete &= pieces[i] != null;
      }
      if (!complete) {
        put(out, name, e.getValue());
        continue;
      }
      if (!m.group(2).equals("q")) {
        continue; // fused where q is
      }
      String fusedName = prefix + "attn.qkv." + suffix;
      if (stateDict.containsKey(fusedName)) {
        throw new IllegalArgumentException(
            "cannot fuse '" + name + "': '" + fusedName + "' already exists");
      }
      put(out, fusedName, concatRows(names, pieces));
    }
    return Collections.unmodifiableMap(out);
  }

  private static HostTensor concatRows(String[] names, HostTensor[] pieces) {
    long[] shape = pieces[0].shape();
    for (int i = 1; i < 3; i++) {
      if (pieces[i].dtype() != pieces[0].dtype() || !Arrays.equals(pieces[i].shape(), shape)) {
        throw new IllegalArgumentException(
            String.format(
                "cannot fuse '%s' (%s) with '%s' (%s): shapes and types must match",
                names[0], pieces[0], names[i], pieces[i]));
      }
    }
    if (shape.length == 0) {
      throw new IllegalArgumentException("cannot fuse scalar '" + names[0] + "'");
    }
    long[] fusedShape = shape.clone();
    fusedShape[0] = Math.multiplyExact(shape[0], 3);
    ByteBuffer all = ByteBuffer.allocate(Math.multiplyExact(pieces[0].data().remaining(), 3));
    for (HostTensor p : pieces) {
      all.put(p.data());
    }
    all.flip();
    return HostTensor.wrapOwned(pieces[0].dtype(), fusedShape, all);
  }

  private static void put(Map<String, HostTensor> out, String name, HostTensor t) {
    if (out.put(name, t) != null) {
      throw new IllegalArgumentException("two tensors would be named '" + name + "'");
    }
  }
}
