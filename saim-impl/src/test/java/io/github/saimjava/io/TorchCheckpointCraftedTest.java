package io.github.saimjava.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Hand-made pickles: dtypes, views, shared storages, and every kind of malformed or hostile input.
 */
class TorchCheckpointCraftedTest {
  @TempDir Path dir;

  private int files;

  /** A zip checkpoint whose pickle is {@code {name: tensor}} for one tensor. */
  private Path oneTensor(
      String storageClass,
      String key,
      long numel,
      long offset,
      long[] size,
      long[] stride,
      byte[] storage)
      throws Exception {
    byte[] pickle =
        new PickleBuilder()
            .proto(2)
            .emptyDict()
            .str("t")
            .tensor(storageClass, key, numel, offset, size, stride)
            .setitem()
            .stop()
            .bytes();
    return PickleBuilder.zip(next(), pickle, Map.of(key, storage));
  }

  private Path next() {
    return dir.resolve("ckpt" + files++ + ".pth");
  }

  private Path zipOf(byte[] pickle) throws Exception {
    return PickleBuilder.zip(next(), pickle, Map.of());
  }

  private static HostTensor only(Path file) throws Exception {
    return TorchCheckpoint.read(file).stateDict().get("t");
  }

  private static TensorFileException fails(Path file, String... fragments) {
    TensorFileException e =
        assertThrows(TensorFileException.class, () -> TorchCheckpoint.read(file));
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "'" + f + "' not in: " + e.getMessage());
    }
    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    return e;
  }

  private static byte[] shorts(int... bits) {
    ByteBuffer b = ByteBuffer.allocate(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : bits) {
      b.putShort((short) v);
    }
    return b.array();
  }

  // ---- dtypes and layouts ----------------------------------------------------------------------

  @Test
  void float16Storage() throws Exception {
    byte[] data = shorts(0x3C00, 0xC000, 0x3800, 0x0001); // 1, -2, 0.5, smallest subnormal
    HostTensor t =
        only(oneTensor("HalfStorage", "0", 4, 0, new long[] {2, 2}, new long[] {2, 1}, data));
    assertEquals(DType.F16, t.dtype());
    assertArrayEquals(new long[] {2, 2}, t.shape());
    assertEquals(ByteBuffer.wrap(data), t.data());
    assertArrayEquals(new float[] {1f, -2f, 0.5f, 0x1.0p-24f}, t.toFloatArray());
  }

  @Test
  void bfloat16Storage() throws Exception {
    float[] values = {1.5f, -3.25f, 1e30f};
    int[] bits = new int[3];
    for (int i = 0; i < 3; i++) {
      bits[i] = Float.floatToIntBits(values[i]) >>> 16;
    }
    byte[] data = shorts(bits);
    HostTensor t =
        only(oneTensor("BFloat16Storage", "0", 3, 0, new long[] {3}, new long[] {1}, data));
    assertEquals(DType.BF16, t.dtype());
    assertEquals(ByteBuffer.wrap(data), t.data());
    assertEquals(1.5f, t.toFloatArray()[0]);
    assertEquals(-3.25f, t.toFloatArray()[1]);
  }

  @Test
  void doubleLongIntAndBoolStorages() throws Exception {
    ByteBuffer d =
        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(1.25).putDouble(-7);
    HostTensor f64 =
        only(oneTensor("DoubleStorage", "0", 2, 0, new long[] {2}, new long[] {1}, d.array()));
    assertEquals(DType.F64, f64.dtype());
    assertArrayEquals(new float[] {1.25f, -7f}, f64.toFloatArray());

    ByteBuffer l =
        ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).putLong(1L << 40);
    HostTensor i64 =
        only(oneTensor("LongStorage", "0", 2, 1, new long[] {}, new long[] {}, l.array()));
    assertEquals(DType.I64, i64.dtype());
    assertArrayEquals(new long[] {}, i64.shape());
    assertEquals(1L << 40, i64.data().getLong(0));

    HostTensor b =
        only(
            oneTensor(
                "BoolStorage", "0", 3, 0, new long[] {3}, new long[] {1}, new byte[] {1, 0, 1}));
    assertEquals(DType.BOOL, b.dtype());
    assertArrayEquals(new float[] {1, 0, 1}, b.toFloatArray());

    HostTensor i8 =
        only(
            oneTensor(
                "CharStorage", "0", 2, 0, new long[] {2}, new long[] {1}, new byte[] {-3, 4}));
    assertEquals(DType.I8, i8.dtype());
    assertArrayEquals(new float[] {-3, 4}, i8.toFloatArray());
  }

  @Test
  void transposedViewBecomesContiguous() throws Exception {
    // storage is the row-major 2 x 3 matrix [[0,1,2],[3,4,5]]; the view is its 3 x 2 transpose
    byte[] data = PickleBuilder.floats(0, 1, 2, 3, 4, 5);
    HostTensor t =
        only(oneTensor("FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3}, data));
    assertArrayEquals(new long[] {3, 2}, t.shape());
    assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, t.toFloatArray());
  }

  @Test
  void expandedViewWithZeroStride() throws Exception {
    byte[] data = PickleBuilder.floats(7, 8);
    HostTensor t =
        only(oneTensor("FloatStorage", "0", 2, 0, new long[] {3, 2}, new long[] {0, 1}, data));
    assertArrayEquals(new float[] {7, 8, 7, 8, 7, 8}, t.toFloatArray());
  }

  @Test
  void tensorsSharingAStorageWithOffsets() throws Exception {
    float[] values = new float[12];
    for (int i = 0; i < values.length; i++) {
      values[i] = i * 10;
    }
    PickleBuilder p = new PickleBuilder().proto(2).emptyDict().mark();
    p.str("a").tensor("FloatStorage", "s", 12, 2, new long[] {3}, new long[] {1});
    p.str("b").tensor("FloatStorage", "s", 12, 5, new long[] {2, 2}, new long[] {2, 1});
    p.str("c").tensor("FloatStorage", "s", 12, 1, new long[] {2, 3}, new long[] {1, 4});
    p.str("d").tensor("FloatStorage", "s", 12, 0, new long[] {12}, new long[] {1});
    p.str("empty").tensor("FloatStorage", "s", 12, 12, new long[] {0, 4}, new long[] {4, 1});
    p.setitems().stop();
    Path f = PickleBuilder.zip(next(), p.bytes(), Map.of("s", PickleBuilder.floats(values)));
    Map<String, HostTensor> sd = TorchCheckpoint.read(f).stateDict();
    assertArrayEquals(new float[] {20, 30, 40}, sd.get("a").toFloatArray());
    assertArrayEquals(new float[] {50, 60, 70, 80}, sd.get("b").toFloatArray());
    assertArrayEquals(new float[] {10, 50, 90, 20, 60, 100}, sd.get("c").toFloatArray());
    assertArrayEquals(values, sd.get("d").toFloatArray());
    assertArrayEquals(new long[] {0, 4}, sd.get("empty").shape());
    assertEquals(List.of("a", "b", "c", "d", "empty"), List.copyOf(sd.keySet()));
  }

  @Test
  void memoizedTensorIsSharedInTheTree() throws Exception {
    byte[] pickle =
        new PickleBuilder()
            .proto(2)
            .emptyList()
            .tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})
            .put(9)
            .append()
            .get(9)
            .append()
            .stop()
            .bytes();
    Path f = PickleBuilder.zip(next(), pickle, Map.of("0", PickleBuilder.floats(1, 2)));
    List<?> root = (List<?>) TorchCheckpoint.read(f).root();
    assertSame(root.get(0), root.get(1));
  }

  @Test
  void rootThatIsAStateDictIsUsedAsIs() throws Exception {
    Path f =
        oneTensor(
            "FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}, PickleBuilder.floats(3));
    assertEquals(List.of("t"), List.copyOf(TorchCheckpoint.readStateDict(f, "anything").keySet()));
  }

  @Test
  void protocol4OpcodesAndPlainValues() throws Exception {
    PickleBuilder p =
        new PickleBuilder()
            .proto(4)
            .op(0x95)
            .raw(new byte[8]) // FRAME (length ignored)
            .op('}')
            .op(0x94)
            .mark()
            .shortStr("ordered")
            .stackGlobal("collections", "OrderedDict")
            .emptyTuple()
            .reduce()
            .op(0x94)
            .shortStr("k")
            .integer(-7)
            .setitem()
            .shortStr("big")
            .op(0x8a)
            .op(9)
            .raw(new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 1}) // 2^64
            .shortStr("neg")
            .op(0x8a)
            .op(1)
            .raw((byte) 0xff) // -1
            .shortStr("pi")
            .binfloat(Math.PI)
            .shortStr("bytes")
            .op('C')
            .op(3)
            .raw((byte) 1, (byte) 2, (byte) 3)
            .shortStr("latin1")
            .global("_codecs", "encode")
            .mark()
            .str("\u00e9a")
            .str("latin1")
            .tuple()
            .reduce()
            .shortStr("tuple")
            .mark()
            .op(0x88)
            .op(0x89)
            .none()
            .tuple()
            .shortStr("memo")
            .op('h')
            .op(1) // the OrderedDict, by memo
            .shortStr("size")
            .global("torch", "Size")
            .mark()
            .intTuple(2, 3)
            .tuple()
            .reduce()
            .shortStr("dtype")
            .global("torch", "bfloat16")
            .setitems()
            .stop();
    Object root = TorchCheckpoint.read(zipOf(p.bytes())).root();
    Map<?, ?> m = (Map<?, ?>) root;
    assertEquals(Map.of("k", -7L), m.get("ordered"));
    assertEquals(BigInteger.ONE.shiftLeft(64), m.get("big"));
    assertEquals(-1L, m.get("neg"));
    assertEquals(Math.PI, m.get("pi"));
    assertArrayEquals(new byte[] {1, 2, 3}, (byte[]) m.get("bytes"));
    assertArrayEquals(new byte[] {(byte) 0xe9, 'a'}, (byte[]) m.get("latin1"));
    assertEquals(java.util.Arrays.asList(true, false, null), m.get("tuple"));
    assertSame(m.get("ordered"), m.get("memo"));
    assertEquals(List.of(2L, 3L), m.get("size"));
    assertEquals(DType.BF16, m.get("dtype"));
  }

  @Test
  void namespaceIsInertData() throws Exception {
    byte[] pickle =
        new PickleBuilder()
            .proto(2)
            .global("argparse", "Namespace")
            .emptyTuple()
            .op(0x81)
            .emptyDict()
            .mark()
            .str("lr")
            .binfloat(0.5)
            .str("name")
            .str("x")
            .setitems()
            .build()
            .stop()
            .bytes();
    InertObject ns =
        assertInstanceOf(InertObject.class, TorchCheckpoint.read(zipOf(pickle)).root());
    assertEquals(
        new InertObject("argparse.Namespace", new LinkedHashMap<>(Map.of("lr", 0.5, "name", "x"))),
        ns);
  }

  // ---- bounds ---------------------------------------------------------------------------------

  @Test
  void storageKeyThatLeavesTheArchiveIsRefused() throws Exception {
    byte[] pickle =
        new PickleBuilder()
            .proto(2)
            .emptyDict()
            .str("t")
            .tensor("FloatStorage", "../evil", 1, 0, new long[] {1}, new long[] {1})
            .setitem()
            .stop()
            .bytes();
    Path f = PickleBuilder.zip(next(), pickle, Map.of("../evil", PickleBuilder.floats(1)));
    fails(f, "storage key '../evil' is not a plain record name", "archive/data.pkl at offset");

    byte[] abs =
        new PickleBuilder()
            .proto(2)
            .tensor("FloatStorage", "/etc/passwd", 1, 0, new long[] {1}, new long[] {1})
            .stop()
            .bytes();
    fails(zipOf(abs), "storage key '/etc/passwd' is not a plain record name");

    byte[] dots =
        new PickleBuilder()
            .proto(2)
            .tensor("FloatStorage", "..", 1, 0, new long[] {1}, new long[] {1})
            .stop()
            .bytes();
    fails(zipOf(dots), "storage key '..' is not a plain record name");
  }

  @Test
  void storageKeyWithoutARecordIsRefused() throws Exception {
    byte[] pickle =
        new PickleBuilder()
            .proto(2)
            .tensor("FloatStorage", "42", 1, 0, new long[] {1}, new long[] {1})
            .stop()
            .bytes();
    fails(zipOf(pickle), "storage key '42': no record 'archive/data/42'");
  }

  @Test
  void tensorClaimingMoreElementsThanItsStorageIsRefused() throws Exception {
    Path f =
        oneTensor(
            "FloatStorage",
            "0",
            4,
            0,
            new long[] {5},
            new long[] {1},
            PickleBuilder.floats(1, 2, 3, 4));
    fails(f, "reaches element 4 but storage '0' holds only 4 elements");
    Path strided =
        oneTensor(
            "FloatStorage",
            "0",
            4,
            1,
            new long[] {2, 2},
            new long[] {2, 1},
            PickleBuilder.floats(1, 2, 3, 4));
    fails(strided, "reaches element 4");
  }

  @Test
  void storageDeclaringMoreBytesThanItsRecordIsRefused() throws Exception {
    Path f =
        oneTensor(
            "FloatStorage",
            "0",
            8,
            0,
            new long[] {8},
            new long[] {1},
            PickleBuilder.floats(1, 2, 3, 4));
    fails(
        f,
        "storage '0' declares 8 elements of F32 (32 bytes) but record 'archive/data/0' holds 16");
  }

  @Test
  void hugeDeclaredSizesFailFastWithoutAllocating() throws Exception {
    assertTimeoutPreemptively(
        Duration.ofSeconds(5),
        () -> {
          long huge = 1L << 40;
          // a view of 2^80 elements: overflow
          fails(
              oneTensor(
                  "FloatStorage",
                  "0",
                  1,
                  0,
                  new long[] {huge, huge},
                  new long[] {1, 1},
                  PickleBuilder.floats(1)),
              "overflows");
          // a storage of 2^40 elements whose record holds 4 bytes
          fails(
              oneTensor(
                  "FloatStorage",
                  "0",
                  huge,
                  0,
                  new long[] {huge},
                  new long[] {1},
                  PickleBuilder.floats(1)),
              "declares 1099511627776 elements");
          // a string claiming 4 GiB
          byte[] str =
              new PickleBuilder()
                  .proto(2)
                  .op('X')
                  .raw((byte) 0xf0, (byte) 0xff, (byte) 0xff, (byte) 0xff)
                  .raw(new byte[16])
                  .stop()
                  .bytes();
          fails(zipOf(str), "BINUNICODE declares 4294967280 bytes but only 17 are left");
          // bytes claiming 2^63 bytes
          byte[] b8 =
              new PickleBuilder()
                  .proto(4)
                  .op(0x8e)
                  .raw(
                      (byte) 0,
                      (byte) 0,
                      (byte) 0,
                      (byte) 0,
                      (byte) 0,
                      (byte) 0,
                      (byte) 0,
                      (byte) 0x80)
                  .stop()
                  .bytes();
          fails(zipOf(b8), "BINBYTES8 declares 9223372036854775808 bytes but only 1 are left");
          // a zero-stride view of 2^31 elements over a one-element storage: more than a host tensor
          // holds
          fails(
              oneTensor(
                  "FloatStorage",
                  "0",
                  1,
                  0,
                  new long[] {1L << 31},
                  new long[] {0},
                  PickleBuilder.floats(1)),
              "larger than 2 GiB");
          // 64 MiB of expanded views over 4 bytes: over the work budget
          fails(
              oneTensor(
                  "FloatStorage",
                  "0",
                  1,
                  0,
                  new long[] {1L << 24},
                  new long[] {0},
                  PickleBuilder.floats(1)),
              "more than the");
        });
  }

  @Test
  void negativeSizesAndMismatchedRanksAreRefused() throws Exception {
    byte[] pickle =
        new PickleBuilder()
            .proto(2)
            .global("torch._utils", "_rebuild_tensor_v2")
            .mark()
            .mark()
            .str("storage")
            .global("torch", "FloatStorage")
            .str("0")
            .str("cpu")
            .integer(1)
            .tuple()
            .binpersid()
            .integer(0)
            .intTuple(-1)
            .intTuple(1)
            .bool(false)
            .none()
            .tuple()
            .reduce()
            .stop()
            .bytes();
    fails(
        PickleBuilder.zip(next(), pickle, Map.of("0", PickleBuilder.floats(1))),
        "tensor size entry must be a non-negative int, got int -1");
    byte[] ranks =
        new PickleBuilder()
            .proto(2)
            .tensor("FloatStorage", "0", 1, 0, new long[] {1, 1}, new long[] {1})
            .stop()
            .bytes();
    fails(
        PickleBuilder.zip(next(), ranks, Map.of("0", PickleBuilder.floats(1))),
        "2 sizes but 1 strides");
  }

  // ---- hostile pickles ------------------------------------------------------------------------

  @ParameterizedTest
  @CsvSource({
    "builtins,eval",
    "subprocess,Popen",
    "os,system",
    "posix,system",
    "nt,system",
    "builtins,getattr",
    "torch,load",
    "numpy.core.multiarray,_reconstruct",
    "evil,Unknown"
  })
  void nonWhitelistedGlobalsAreRefused(String module, String name) throws Exception {
    Path marker = dir.resolve("ran-" + name);
    byte[] viaGlobal =
        new PickleBuilder()
            .proto(2)
            .global(module, name)
            .mark()
            .str("touch " + marker)
            .tuple()
            .reduce()
            .stop()
            .bytes();
    UnsafePickleException e =
        assertThrows(UnsafePickleException.class, () -> TorchCheckpoint.read(zipOf(viaGlobal)));
    assertEquals(module + "." + name, e.global());
    assertTrue(
        e.getMessage().contains("refused global '" + module + "." + name + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("at offset 2"), e.getMessage());

    byte[] viaStackGlobal =
        new PickleBuilder()
            .proto(4)
            .stackGlobal(module, name)
            .mark()
            .str("touch " + marker)
            .tuple()
            .reduce()
            .stop()
            .bytes();
    e =
        assertThrows(
            UnsafePickleException.class, () -> TorchCheckpoint.read(zipOf(viaStackGlobal)));
    assertEquals(module + "." + name, e.global());
    assertTrue(Files.notExists(marker));
  }

  @Test
  void hostileLegacyFileIsRefusedToo() throws Exception {
    byte[] obj =
        new PickleBuilder()
            .proto(2)
            .global("os", "system")
            .mark()
            .str("true")
            .tuple()
            .reduce()
            .stop()
            .bytes();
    Path f = legacy(obj, new PickleBuilder().proto(2).emptyList().stop().bytes(), new byte[0]);
    UnsafePickleException e =
        assertThrows(UnsafePickleException.class, () -> TorchCheckpoint.read(f));
    assertTrue(e.getMessage().contains("object pickle at offset"), e.getMessage());
  }

  @Test
  void onlyWhitelistedCallablesCanBeCalled() throws Exception {
    fails(
        zipOf(new PickleBuilder().proto(2).str("os.system").emptyTuple().reduce().stop().bytes()),
        "REDUCE of a str (only whitelisted globals can be called)");
    fails(
        zipOf(
            new PickleBuilder()
                .proto(2)
                .global("torch", "FloatStorage")
                .emptyTuple()
                .reduce()
                .stop()
                .bytes()),
        "global 'torch.FloatStorage' cannot be called");
    fails(
        zipOf(
            new PickleBuilder()
                .proto(2)
                .global("torch._utils", "_rebuild_tensor_v2")
                .emptyTuple()
                .op(0x81)
                .stop()
                .bytes()),
        "NEWOBJ of 'torch._utils._rebuild_tensor_v2'");
    fails(
        zipOf(
            new PickleBuilder()
                .proto(2)
                .global("collections", "OrderedDict")
                .intTuple(1)
                .reduce()
                .stop()
                .bytes()),
        "collections.OrderedDict needs a list or tuple, got int");
  }

  // ---- malformed pickles ----------------------------------------------------------------------

  @Test
  void unsupportedOpcodeIsNamedWithItsOffset() throws Exception {
    fails(
        zipOf(new PickleBuilder().proto(2).op('i').stop().bytes()),
        "archive/data.pkl at offset 2: unsupported pickle opcode 0x69 ('i')");
    fails(
        zipOf(new PickleBuilder().proto(2).none().op(0xff).bytes()),
        "at offset 3: unsupported pickle opcode 0xff");
  }

  @Test
  void malformedStacksAndMemosAreRefused() throws Exception {
    fails(
        zipOf(new PickleBuilder().proto(2).get(5).stop().bytes()), "memo index 5 was never stored");
    fails(zipOf(new PickleBuilder().proto(2).stop().bytes()), "stack underflow");
    fails(zipOf(new PickleBuilder().proto(2).op('t').bytes()), "needs a MARK");
    fails(zipOf(new PickleBuilder().proto(2).none().mark().op('a').bytes()), "stack underflow");
    fails(zipOf(new PickleBuilder().proto(2).emptyList().bytes()), "truncated or corrupt pickle");
    fails(zipOf(new PickleBuilder().proto(9).bytes()), "unsupported pickle protocol 9");
    fails(
        zipOf(new PickleBuilder().proto(2).emptyDict().emptyList().none().setitem().stop().bytes()),
        "dict key of type list is not supported");
    fails(
        zipOf(
            new PickleBuilder()
                .proto(2)
                .op('X')
                .raw(PickleBuilder.le(2))
                .raw((byte) 0xc3, (byte) 0x28)
                .stop()
                .bytes()),
        "BINUNICODE is not valid UTF-8");
  }

  @Test
  void recursiveAndDeeplyNestedStructuresAreRefused() throws Exception {
    fails(
        zipOf(new PickleBuilder().proto(2).emptyList().put(0).get(0).append().stop().bytes()),
        "contains itself");
    PickleBuilder deep = new PickleBuilder().proto(2);
    for (int i = 0; i < 300; i++) {
      deep.emptyList();
    }
    for (int i = 0; i < 299; i++) {
      deep.append();
    }
    fails(zipOf(deep.stop().bytes()), "nested deeper than 256");

    // L(k+1) = [L(k), L(k)]: 40 levels are 2^40 nodes once unfolded, from a few hundred bytes
    PickleBuilder dag = new PickleBuilder().proto(2).emptyList().put(0).op('0');
    for (int k = 0; k < 40; k++) {
      dag.mark().get(k).get(k).op('l').put(k + 1).op('0');
    }
    byte[] exponential = dag.get(40).stop().bytes();
    assertTimeoutPreemptively(
        Duration.ofSeconds(5), () -> fails(zipOf(exponential), "more than 16000000 nodes"));
  }

  @Test
  void archivesThatAreNotCheckpointsAreRefused() throws Exception {
    Path noPkl = dir.resolve("nopkl.pth");
    try (var zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(noPkl))) {
      PickleBuilder.stored(zip, "something/else.txt", new byte[] {1});
    }
    fails(noPkl, "no '<name>/data.pkl' record");
    Path text = Files.writeString(dir.resolve("text.pth"), "hello");
    fails(text, "not a PyTorch checkpoint");
    Path empty = Files.write(dir.resolve("empty.pth"), new byte[0]);
    fails(empty, "not a PyTorch checkpoint");
  }

  // ---- legacy format --------------------------------------------------------------------------

  /**
   * A legacy checkpoint: magic, version, sys info, {@code obj}, {@code keys}, then {@code
   * storages}.
   */
  private Path legacy(byte[] obj, byte[] keys, byte[] storages) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] magic = LegacyCheckpoint.MAGIC.toByteArray(); // big-endian
    byte[] le = new byte[magic.length];
    for (int i = 0; i < magic.length; i++) {
      le[i] = magic[magic.length - 1 - i];
    }
    out.writeBytes(new PickleBuilder().proto(2).op(0x8a).op(le.length).raw(le).stop().bytes());
    out.writeBytes(new PickleBuilder().proto(2).integer(1001).stop().bytes());
    out.writeBytes(
        new PickleBuilder()
            .proto(2)
            .emptyDict()
            .str("little_endian")
            .bool(true)
            .setitem()
            .stop()
            .bytes());
    out.writeBytes(obj);
    out.writeBytes(keys);
    out.writeBytes(storages);
    Path f = next();
    Files.write(f, out.toByteArray());
    return f;
  }

  private static PickleBuilder legacyTensor(
      PickleBuilder p,
      String key,
      long numel,
      String view,
      long viewOffset,
      long viewSize,
      long offset,
      long[] size,
      long[] stride) {
    p.global("torch._utils", "_rebuild_tensor_v2").mark();
    p.mark().str("storage").global("torch", "FloatStorage").str(key).str("cpu").integer(numel);
    if (view == null) {
      p.none();
    } else {
      p.mark().str(view).integer(viewOffset).integer(viewSize).tuple();
    }
    p.tuple()
        .binpersid()
        .integer(offset)
        .intTuple(size)
        .intTuple(stride)
        .bool(false)
        .global("collections", "OrderedDict")
        .emptyTuple()
        .reduce()
        .tuple()
        .reduce();
    return p;
  }

  private static byte[] storageRecord(float... values) {
    ByteBuffer b = ByteBuffer.allocate(8 + values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(values.length);
    for (float v : values) {
      b.putFloat(v);
    }
    return b.array();
  }

  private static byte[] keyList(String... keys) {
    PickleBuilder p = new PickleBuilder().proto(2).emptyList().mark();
    for (String k : keys) {
      p.str(k);
    }
    return p.op('e').stop().bytes();
  }

  @Test
  void legacyFormatWithStorageViewsAndSharedStorages() throws Exception {
    PickleBuilder p = new PickleBuilder().proto(2).emptyDict().mark();
    p.str("whole");
    legacyTensor(p, "r", 6, null, 0, 0, 0, new long[] {2, 3}, new long[] {3, 1});
    p.str("view");
    legacyTensor(p, "r", 6, "r_view", 2, 3, 1, new long[] {2}, new long[] {1});
    p.str("other");
    legacyTensor(p, "s", 2, null, 0, 0, 0, new long[] {2}, new long[] {1});
    p.setitems().stop();
    ByteArrayOutputStream storages = new ByteArrayOutputStream();
    storages.writeBytes(storageRecord(9, 8));
    storages.writeBytes(storageRecord(0, 1, 2, 3, 4, 5));
    Path f = legacy(p.bytes(), keyList("s", "r"), storages.toByteArray());
    Map<String, HostTensor> sd = TorchCheckpoint.read(f).stateDict();
    assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, sd.get("whole").toFloatArray());
    assertArrayEquals(new float[] {3, 4}, sd.get("view").toFloatArray());
    assertArrayEquals(new float[] {9, 8}, sd.get("other").toFloatArray());
  }

  @Test
  void legacyFormatBoundsAreChecked() throws Exception {
    PickleBuilder p = new PickleBuilder().proto(2).emptyDict().str("t");
    legacyTensor(p, "r", 4, null, 0, 0, 0, new long[] {4}, new long[] {1});
    byte[] obj = p.setitem().stop().bytes();

    byte[] truncated = storageRecord(1, 2, 3, 4);
    fails(
        legacy(obj, keyList("r"), java.util.Arrays.copyOf(truncated, truncated.length - 1)),
        "storage 'r' needs 16 bytes at byte",
        "(truncated file)");
    fails(
        legacy(obj, keyList("r"), storageRecord(1, 2, 3)),
        "holds 3 elements but the pickle declared 4");
    fails(legacy(obj, keyList("r", "r"), storageRecord(1, 2, 3, 4)), "listed twice");
    fails(legacy(obj, keyList(), new byte[0]), "missing from the storage list");
    fails(
        legacy(obj, keyList("r", "zzz"), storageRecord(1, 2, 3, 4)),
        "storage 'zzz' is listed after the pickle but no tensor refers to it");

    PickleBuilder view = new PickleBuilder().proto(2);
    legacyTensor(view, "r", 4, "v", 3, 2, 0, new long[] {1}, new long[] {1});
    fails(
        legacy(view.stop().bytes(), keyList("r"), storageRecord(1, 2, 3, 4)),
        "storage view [3, 3 + 2) lies outside storage 'r' of 4 elements");

    PickleBuilder huge = new PickleBuilder().proto(2);
    legacyTensor(huge, "r", 1L << 40, null, 0, 0, 0, new long[] {1}, new long[] {1});
    fails(legacy(huge.stop().bytes(), keyList("r"), storageRecord(1)), "more than the file's");

    byte[] badMagic = new PickleBuilder().proto(2).integer(5).stop().bytes();
    Path f = next();
    Files.write(f, badMagic);
    fails(f, "magic number is missing");
  }
}
