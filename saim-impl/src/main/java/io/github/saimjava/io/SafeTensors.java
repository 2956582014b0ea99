package io.github.saimjava.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header
 * mapping each tensor name to its dtype, shape and byte range, then the raw little-endian data.
 *
 * <p>Reading validates every field against the file size before allocating, so a hostile or
 * truncated file gives a {@link TensorFileException} naming the file and the key at fault. Writing
 * is atomic: a temporary file in the same folder is written, forced to disk and renamed over the
 * target, so a crash never leaves a half-written file in place of a good one.
 */
public final class SafeTensors {
  /**
   * The {@code format} metadata of a saim-java weights file: model tensors under the reference's
   * names, with the model's configuration in the {@code config} metadata (pre-training's {@code
   * final.safetensors}, fine-tuning's {@code best.safetensors}, {@code saim convert}'s output).
   */
  public static final String WEIGHTS_FORMAT = "saim-java-weights-1";

  /** Largest header accepted (the format's own readers use the same bound). */
  static final long MAX_HEADER_BYTES = 100L << 20;

  private SafeTensors() {}

  /** The tensors of a file, in header order, and its {@code __metadata__} strings. */
  public record Contents(Map<String, HostTensor> tensors, Map<String, String> metadata) {
    public Contents {
      tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
      metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * The tensor named {@code name}.
     *
     * @throws IllegalArgumentException naming the key when it is absent
     */
    public HostTensor require(String name) {
      HostTensor t = tensors.get(name);
      if (t == null) {
        throw new IllegalArgumentException("missing tensor '" + name + "'");
      }
      return t;
    }
  }

  /** Reads a whole file. */
  public static Contents read(Path file) throws IOException {
    long size = Files.size(file);
    if (size < 8) {
      throw new TensorFileException(
          file, "too short for a safetensors header (" + size + " bytes)");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0, file);
      long headerLen = len.getLong(0);
      if (headerLen <= 0 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
        throw new TensorFileException(
            file, "header length " + headerLen + " is invalid for a file of " + size + " bytes");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      readFully(ch, header, 8, file);
      JsonObject json;
      try {
        JsonElement e = JsonParser.parseString(new String(header.array(), StandardCharsets.UTF_8));
        if (!e.isJsonObject()) {
          throw new TensorFileException(file, "header is not a JSON object");
        }
        json = e.getAsJsonObject();
      } catch (JsonParseException e) {
        // Gson's message adds a line that points to its troubleshooting page: keep the first
        throw new TensorFileException(
            file,
            "header is not valid JSON: "
                + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
      }
      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      Map<String, String> metadata = new LinkedHashMap<>();
      Map<String, HostTensor> tensors = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> entry : json.entrySet()) {
        String name = entry.getKey();
        if (name.equals("__metadata__")) {
          if (!entry.getValue().isJsonObject()) {
            throw new TensorFileException(file, "__metadata__ is not an object");
          }
          for (Map.Entry<String, JsonElement> m : entry.getValue().getAsJsonObject().entrySet()) {
            if (!m.getValue().isJsonPrimitive()) {
              throw new TensorFileException(
                  file, "__metadata__." + m.getKey() + " is not a string");
            }
            metadata.put(m.getKey(), m.getValue().getAsString());
          }
          continue;
        }
        tensors.put(name, readTensor(ch, file, name, entry.getValue(), dataStart, dataLen));
      }
      return new Contents(tensors, metadata);
    }
  }

  private static HostTensor readTensor(
      FileChannel ch, Path file, String name, JsonElement spec, long dataStart, long dataLen)
      throws IOException {
    try {
      JsonObject o = spec.getAsJsonObject();
      DType dtype = DType.fromSafetensorsName(o.get("dtype").getAsString());
      JsonArray shapeJson = o.getAsJsonArray("shape");
      long[] shape = new long[shapeJson.size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = shapeJson.get(i).getAsLong();
      }
      JsonArray offs = o.getAsJsonArray("data_offsets");
      if (offs.size() != 2) {
        throw new TensorFileException(
            file, "tensor '" + name + "': data_offsets must have 2 entries");
      }
      long begin = offs.get(0).getAsLong();
      long end = offs.get(1).getAsLong();
      long numel = HostTensor.numel(shape);
      long bytes = Math.multiplyExact(numel, (long) dtype.byteSize());
      if (begin < 0 || end < begin || end > dataLen || end - begin != bytes) {
        throw new TensorFileException(
            file,
            String.format(
                Locale.ROOT,
                "tensor '%s': byte range [%d, %d) does not fit %d bytes of data or its %d-byte"
                    + " size",
                name,
                begin,
                end,
                dataLen,
                bytes));
      }
      if (bytes > Integer.MAX_VALUE - 8) {
        throw new TensorFileException(file, "tensor '" + name + "' is larger than 2 GiB");
      }
      ByteBuffer buf = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, buf, dataStart + begin, file);
      return HostTensor.of(dtype, shape, buf);
    } catch (IllegalStateException
        | NullPointerException
        | UnsupportedOperationException
        | ClassCastException
        | NumberFormatException
        | ArithmeticException e) {
      throw new TensorFileException(
          file, "tensor '" + name + "': malformed entry (" + e.getMessage() + ")");
    } catch (IllegalArgumentException e) {
      if (e instanceof TensorFileException) {
        throw e;
      }
      throw new TensorFileException(file, "tensor '" + name + "': " + e.getMessage());
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path file)
      throws IOException {
    long p = pos;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, p);
      if (n < 0) {
        throw new TensorFileException(file, "truncated at byte " + p);
      }
      p += n;
    }
    buf.flip();
  }

  /** Writes {@code tensors} and {@code metadata} to {@code file} atomically. */
  public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata)
      throws IOException {
    JsonObject header = new JsonObject();
    if (!metadata.isEmpty()) {
      JsonObject m = new JsonObject();
      metadata.forEach(m::addProperty);
      header.add("__metadata__", m);
    }
    long offset = 0;
    List<ByteBuffer> blobs = new ArrayList<>();
    for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
      HostTensor t = e.getValue();
      JsonObject o = new JsonObject();
      o.addProperty("dtype", t.dtype().name());
      JsonArray shape = new JsonArray();
      for (long d : t.shape()) {
        shape.add(d);
      }
      o.add("shape", shape);
      ByteBuffer data = t.data();
      JsonArray offs = new JsonArray();
      offs.add(offset);
      offs.add(offset + data.remaining());
      offset += data.remaining();
      o.add("data_offsets", offs);
      header.add(e.getKey(), o);
      blobs.add(data);
    }
    byte[] h = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
    int pad = (8 - h.length % 8) % 8;
    ByteBuffer head = ByteBuffer.allocate(8 + h.length + pad).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(h.length + pad).put(h);
    for (int i = 0; i < pad; i++) {
      head.put((byte) ' ');
    }
    head.flip();
    AtomicFiles.write(
        file,
        ch -> {
          writeFully(ch, head);
          for (ByteBuffer b : blobs) {
            writeFully(ch, b);
          }
        });
  }

  private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }
}
