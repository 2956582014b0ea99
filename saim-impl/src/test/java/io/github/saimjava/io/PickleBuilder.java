package io.github.saimjava.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes pickle opcodes by hand, and wraps pickles into the two checkpoint formats, for tests. */
final class PickleBuilder {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  PickleBuilder op(int opcode) {
    out.write(opcode);
    return this;
  }

  PickleBuilder raw(byte... bytes) {
    out.writeBytes(bytes);
    return this;
  }

  PickleBuilder proto(int p) {
    return op(0x80).op(p);
  }

  PickleBuilder mark() {
    return op('(');
  }

  PickleBuilder emptyDict() {
    return op('}');
  }

  PickleBuilder emptyList() {
    return op(']');
  }

  PickleBuilder emptyTuple() {
    return op(')');
  }

  PickleBuilder tuple() {
    return op('t');
  }

  PickleBuilder setitem() {
    return op('s');
  }

  PickleBuilder setitems() {
    return op('u');
  }

  PickleBuilder append() {
    return op('a');
  }

  PickleBuilder reduce() {
    return op('R');
  }

  PickleBuilder build() {
    return op('b');
  }

  PickleBuilder none() {
    return op('N');
  }

  PickleBuilder bool(boolean b) {
    return op(b ? 0x88 : 0x89);
  }

  PickleBuilder binpersid() {
    return op('Q');
  }

  PickleBuilder stop() {
    return op('.');
  }

  PickleBuilder put(int i) {
    return op('q').op(i);
  }

  PickleBuilder get(int i) {
    return op('h').op(i);
  }

  /** The smallest opcode for a non-negative int below 2^31. */
  PickleBuilder integer(long v) {
    if (v >= 0 && v < 256) {
      return op('K').op((int) v);
    }
    if (v >= 0 && v < 65536) {
      return op('M').op((int) v & 0xff).op((int) (v >> 8));
    }
    if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
      return op('J').raw(le((int) v));
    }
    byte[] b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    return op(0x8a).op(8).raw(b);
  }

  PickleBuilder binfloat(double d) {
    return op('G').raw(ByteBuffer.allocate(8).putDouble(d).array());
  }

  PickleBuilder str(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return op('X').raw(le(b.length)).raw(b);
  }

  PickleBuilder global(String module, String name) {
    return op('c').raw((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /** {@code module name STACK_GLOBAL} as protocol 4 writes it. */
  PickleBuilder stackGlobal(String module, String name) {
    return shortStr(module).shortStr(name).op(0x93);
  }

  PickleBuilder shortStr(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return op(0x8c).op(b.length).raw(b);
  }

  /** Integers as one tuple. */
  PickleBuilder intTuple(long... values) {
    mark();
    for (long v : values) {
      integer(v);
    }
    return tuple();
  }

  /**
   * {@code _rebuild_tensor_v2(persistent_load(('storage', storageClass, key, 'cpu', numel)),
   * offset, size, stride, False, OrderedDict())} as torch.save writes it (zip format).
   */
  PickleBuilder tensor(
      String storageClass, String key, long numel, long offset, long[] size, long[] stride) {
    global("torch._utils", "_rebuild_tensor_v2");
    mark();
    mark().str("storage").global("torch", storageClass).str(key).str("cpu").integer(numel).tuple();
    binpersid();
    integer(offset);
    intTuple(size);
    intTuple(stride);
    bool(false);
    global("collections", "OrderedDict").emptyTuple().reduce();
    tuple();
    return reduce();
  }

  byte[] bytes() {
    return out.toByteArray();
  }

  static byte[] le(int v) {
    return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
  }

  /** Little-endian bytes of floats. */
  static byte[] floats(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  /** Writes a zip checkpoint: {@code archive/data.pkl} and {@code archive/data/<key>} records. */
  static Path zip(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
    try (OutputStream os = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      stored(zip, "archive/data.pkl", pickle);
      for (Map.Entry<String, byte[]> e : storages.entrySet()) {
        stored(zip, "archive/data/" + e.getKey(), e.getValue());
      }
      stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
    }
    return file;
  }

  static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setMethod(ZipEntry.STORED);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }
}
