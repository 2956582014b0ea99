package io.github.saimjava.io;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A restricted interpreter for Python's pickle format (the opcodes of protocols 2 to 5 that {@code
 * torch.save} and plain containers use). It never executes anything: globals are looked up in
 * {@link SafeGlobal}'s whitelist when the pickle names them, and calls of the few whitelisted ones
 * are interpreted here. Every length is checked against the bytes left before anything is
 * allocated; the stack, the mark stack and the number of values created are bounded, and every
 * opcode consumes at least one byte, so the work is linear in the input.
 *
 * <p>Values on the stack: null (None), Boolean, Long, BigInteger (ints beyond 64 bits), Double,
 * String, byte[], {@link DType}, {@link SafeGlobal}, and the {@link Pickled} types; dicts are
 * {@code LinkedHashMap} and lists {@code ArrayList} while they are being filled.
 */
final class Unpickler {
  /** Largest stack. */
  static final int MAX_STACK = 1_000_000;

  /** Most nested MARKs. */
  static final int MAX_MARKS = 10_000;

  /** Most values created and container slots filled by one pickle. */
  static final long MAX_CELLS = 8_000_000;

  /** Most characters of dict keys and attribute names stored, in total (bounds key comparisons). */
  static final long MAX_KEY_CHARS = 1L << 30;

  /** Most dimensions of a tensor. */
  static final int MAX_DIMS = 64;

  /** Longest string, bytes or line. */
  static final int MAX_BYTES = Integer.MAX_VALUE - 8;

  /** Longest LONG4 integer, in bytes. */
  static final int MAX_LONG_BYTES = 1024;

  /** Longest GLOBAL line (module or name). */
  static final int MAX_LINE = 512;

  /** Turns a persistent id (PyTorch's storage reference) into a storage. */
  @FunctionalInterface
  interface PersistentLoader {
    /** The storage {@code pid} names; errors go through {@link Unpickler#fail(String)}. */
    Pickled.Storage load(@Nullable Object pid, Unpickler context);
  }

  private final PickleInput in;
  private final Path file;
  private final String source;
  private final @Nullable PersistentLoader loader;
  private final ArrayList<@Nullable Object> stack = new ArrayList<>();
  private int[] marks = new int[16];
  private int markCount;
  private final HashMap<Long, @Nullable Object> memo = new HashMap<>();
  private long cells;
  private long keyChars;
  private long opOffset;

  /**
   * @param in where the pickle starts
   * @param file the file, for messages
   * @param source which pickle of the file this is (a record name or a description), for messages
   * @param loader resolves persistent ids, or null where none may occur
   */
  Unpickler(PickleInput in, Path file, String source, @Nullable PersistentLoader loader) {
    this.in = in;
    this.file = file;
    this.source = source;
    this.loader = loader;
  }

  /** The error for the opcode being run: names the file, the pickle and the offset. */
  TensorFileException fail(String problem) {
    return new TensorFileException(
        file, String.format(Locale.ROOT, "%s at offset %d: %s", source, opOffset, problem));
  }

  /** Runs the pickle up to its STOP and returns the value it built. */
  @Nullable Object load() throws IOException {
    while (true) {
      opOffset = in.position();
      int op = u8();
      switch (op) {
        case 0x80 -> { // PROTO
          int p = u8();
          if (p > 5) {
            throw fail("unsupported pickle protocol " + p);
          }
        }
        case 0x95 -> { // FRAME: only a read-ahead hint
          long n = u64();
          if (n < 0 || n > in.remaining()) {
            throw fail(
                "frame of "
                    + Long.toUnsignedString(n)
                    + " bytes exceeds the "
                    + in.remaining()
                    + " bytes left");
          }
        }
        case '.' -> { // STOP
          return pop();
        }
        case '(' -> pushMark();
        case '0' -> pop();
        case '1' -> popMark();
        case '2' -> push(peek());
        case 'N' -> push(null);
        case 0x88 -> push(Boolean.TRUE);
        case 0x89 -> push(Boolean.FALSE);
        case 'J' -> push((long) i32());
        case 'K' -> push((long) u8());
        case 'M' -> push((long) (u8() | (u8() << 8)));
        case 0x8a -> push(littleEndianInt(u8())); // LONG1
        case 0x8b -> { // LONG4
          long n = i32();
          if (n < 0 || n > MAX_LONG_BYTES) {
            throw fail("LONG4 of " + n + " bytes is out of range (at most " + MAX_LONG_BYTES + ")");
          }
          push(littleEndianInt((int) n));
        }
        case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(u64()))); // BINFLOAT, big-endian
        case 'X' -> push(utf8(u32(), "BINUNICODE"));
        case 0x8c -> push(utf8(u8(), "SHORT_BINUNICODE"));
        case 0x8d -> push(utf8(u64(), "BINUNICODE8"));
        case 'T' ->
            push(utf8(i32(), "BINSTRING")); // Python 2 str, decoded as UTF-8 like torch.load
        case 'U' -> push(utf8(u8(), "SHORT_BINSTRING"));
        case 'B' -> push(bytes(u32(), "BINBYTES"));
        case 'C' -> push(bytes(u8(), "SHORT_BINBYTES"));
        case 0x8e -> push(bytes(u64(), "BINBYTES8"));
        case 0x96 -> push(bytes(u64(), "BYTEARRAY8"));
        case ')' -> push(tuple(new ArrayList<>()));
        case 0x85 -> push(tuple(popN(1)));
        case 0x86 -> push(tuple(popN(2)));
        case 0x87 -> push(tuple(popN(3)));
        case 't' -> push(tuple(popMark()));
        case ']' -> push(created(new ArrayList<>()));
        case 'l' -> {
          List<@Nullable Object> items = popMark();
          ArrayList<@Nullable Object> list = created(new ArrayList<>());
          append(list, items);
          push(list);
        }
        case 'a' -> {
          Object v = pop();
          append(peek(), Collections.singletonList(v));
        }
        case 'e' -> {
          List<@Nullable Object> items = popMark();
          append(peek(), items);
        }
        case '}' -> push(created(new LinkedHashMap<>()));
        case 'd' -> {
          List<@Nullable Object> items = popMark();
          LinkedHashMap<Object, @Nullable Object> dict = created(new LinkedHashMap<>());
          setItems(dict, items);
          push(dict);
        }
        case 's' -> {
          Object v = pop();
          Object k = pop();
          setItems(peek(), Arrays.asList(k, v));
        }
        case 'u' -> {
          List<@Nullable Object> items = popMark();
          setItems(peek(), items);
        }
        case 'c' -> { // GLOBAL
          String module = line("GLOBAL module");
          String name = line("GLOBAL name");
          push(global(module, name));
        }
        case 0x93 -> { // STACK_GLOBAL
          Object name = pop();
          Object module = pop();
          if (!(module instanceof String m) || !(name instanceof String n)) {
            throw fail(
                "STACK_GLOBAL needs two strings, got "
                    + typeName(module)
                    + " and "
                    + typeName(name));
          }
          push(global(m, n));
        }
        case 'R' -> { // REDUCE
          Object args = pop();
          Object callable = pop();
          push(call(callable, args));
        }
        case 0x81 -> { // NEWOBJ
          Object args = pop();
          Object cls = pop();
          push(newObject(cls, args));
        }
        case 0x92 -> { // NEWOBJ_EX
          Object kwargs = pop();
          Object args = pop();
          Object cls = pop();
          if (!(kwargs instanceof Map<?, ?> kw) || !kw.isEmpty()) {
            throw fail("NEWOBJ_EX with keyword arguments is not supported");
          }
          push(newObject(cls, args));
        }
        case 'b' -> { // BUILD
          Object state = pop();
          build(peek(), state);
        }
        case 'q' -> memoPut(u8());
        case 'r' -> memoPut(u32());
        case 0x94 -> memoPut(memo.size()); // MEMOIZE
        case 'h' -> memoGet(u8());
        case 'j' -> memoGet(u32());
        case 'Q' -> push(persistent(pop())); // BINPERSID
        case 'P' -> push(persistent(line("PERSID"))); // PERSID
        default ->
            throw fail(
                String.format(
                    Locale.ROOT,
                    "unsupported pickle opcode 0x%02x%s",
                    op,
                    op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : ""));
      }
    }
  }

  // ---- reading primitives -------------------------------------------------------------------

  private void need(long n, String what) {
    if (n > in.remaining()) {
      throw fail(
          what
              + " needs "
              + n
              + " bytes but only "
              + in.remaining()
              + " are left"
              + " (truncated or corrupt pickle)");
    }
  }

  private int u8() throws IOException {
    need(1, "opcode or argument");
    return in.read();
  }

  private int i32() throws IOException {
    need(4, "4-byte argument");
    return in.read() | (in.read() << 8) | (in.read() << 16) | (in.read() << 24);
  }

  private long u32() throws IOException {
    return i32() & 0xffffffffL;
  }

  /** 8 bytes little-endian; a value with the top bit set comes back negative. */
  private long u64() throws IOException {
    need(8, "8-byte argument");
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v |= ((long) in.read()) << (8 * i);
    }
    return v;
  }

  private byte[] raw(long n, String what) throws IOException {
    if (n < 0 || n > in.remaining()) {
      throw fail(
          what
              + " declares "
              + Long.toUnsignedString(n)
              + " bytes but only "
              + in.remaining()
              + " are left (truncated or corrupt pickle)");
    }
    if (n > MAX_BYTES) {
      throw fail(what + " of " + n + " bytes is larger than supported");
    }
    byte[] b = new byte[(int) n];
    in.readFully(b);
    return b;
  }

  private String utf8(long n, String what) throws IOException {
    byte[] b = raw(n, what);
    charge(1);
    try {
      CharBuffer chars =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(b));
      return chars.toString();
    } catch (CharacterCodingException e) {
      throw fail(what + " is not valid UTF-8");
    }
  }

  private byte[] bytes(long n, String what) throws IOException {
    byte[] b = raw(n, what);
    charge(1);
    return b;
  }

  /** A newline-terminated UTF-8 line of at most {@link #MAX_LINE} bytes. */
  private String line(String what) throws IOException {
    byte[] b = new byte[MAX_LINE];
    int n = 0;
    while (true) {
      need(1, what);
      int c = in.read();
      if (c == '\n') {
        break;
      }
      if (n == MAX_LINE) {
        throw fail(what + " is longer than " + MAX_LINE + " bytes");
      }
      b[n++] = (byte) c;
    }
    return utf8Of(Arrays.copyOf(b, n), what);
  }

  private String utf8Of(byte[] b, String what) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw fail(what + " is not valid UTF-8");
    }
  }

  /** A two's-complement little-endian integer of {@code n} bytes (LONG1, LONG4). */
  private Object littleEndianInt(int n) throws IOException {
    byte[] le = raw(n, "LONG");
    if (n == 0) {
      return 0L;
    }
    byte[] be = new byte[n];
    for (int i = 0; i < n; i++) {
      be[i] = le[n - 1 - i];
    }
    BigInteger v = new BigInteger(be);
    return v.bitLength() < 64 ? (Object) v.longValue() : v;
  }

  // ---- stack ---------------------------------------------------------------------------------

  private int frameBase() {
    return markCount == 0 ? 0 : marks[markCount - 1];
  }

  private void push(@Nullable Object v) {
    if (stack.size() >= MAX_STACK) {
      throw fail("pickle stack exceeds " + MAX_STACK + " entries");
    }
    stack.add(v);
  }

  private @Nullable Object pop() {
    if (stack.size() <= frameBase()) {
      throw fail("pickle stack underflow");
    }
    return stack.remove(stack.size() - 1);
  }

  private @Nullable Object peek() {
    if (stack.size() <= frameBase()) {
      throw fail("pickle stack underflow");
    }
    return stack.get(stack.size() - 1);
  }

  private List<@Nullable Object> popN(int n) {
    if (stack.size() - frameBase() < n) {
      throw fail("pickle stack underflow");
    }
    List<@Nullable Object> top = stack.subList(stack.size() - n, stack.size());
    List<@Nullable Object> items = new ArrayList<>(top);
    top.clear();
    return items;
  }

  private void pushMark() {
    if (markCount >= MAX_MARKS) {
      throw fail("more than " + MAX_MARKS + " nested MARKs");
    }
    if (markCount == marks.length) {
      marks = Arrays.copyOf(marks, marks.length * 2);
    }
    marks[markCount++] = stack.size();
  }

  private List<@Nullable Object> popMark() {
    if (markCount == 0) {
      throw fail("opcode needs a MARK but there is none");
    }
    int k = marks[--markCount];
    List<@Nullable Object> top = stack.subList(k, stack.size());
    List<@Nullable Object> items = new ArrayList<>(top);
    top.clear();
    return items;
  }

  private void memoPut(long index) {
    charge(1);
    memo.put(index, peek());
  }

  private void memoGet(long index) {
    if (!memo.containsKey(index)) {
      throw fail("memo index " + index + " was never stored");
    }
    push(memo.get(index));
  }

  /** Counts created values and filled slots against {@link #MAX_CELLS}. */
  private void charge(long n) {
    cells += n;
    if (cells > MAX_CELLS) {
      throw fail("pickle builds more than " + MAX_CELLS + " values");
    }
  }

  /** Storing under a key compares it with an equal one at worst: bound the total of that work. */
  private void chargeKey(String key) {
    keyChars += key.length();
    if (keyChars > MAX_KEY_CHARS) {
      throw fail("dict keys total more than " + MAX_KEY_CHARS + " characters");
    }
  }

  private <T> T created(T value) {
    charge(1);
    return value;
  }

  private Pickled.Tuple tuple(List<@Nullable Object> items) {
    charge(1 + items.size());
    return new Pickled.Tuple(items);
  }

  // ---- containers ----------------------------------------------------------------------------

  @SuppressWarnings("unchecked")
  private void append(@Nullable Object target, List<@Nullable Object> items) {
    if (!(target instanceof ArrayList<?> list)) {
      throw fail("APPEND to a " + typeName(target) + " (only lists are supported)");
    }
    charge(items.size());
    ((ArrayList<@Nullable Object>) list).addAll(items);
  }

  @SuppressWarnings("unchecked")
  private void setItems(@Nullable Object target, List<@Nullable Object> kv) {
    if (!(target instanceof LinkedHashMap<?, ?> map)) {
      throw fail("SETITEM on a " + typeName(target) + " (only dicts are supported)");
    }
    if (kv.size() % 2 != 0) {
      throw fail("SETITEMS with an odd number of items");
    }
    charge(kv.size() / 2);
    LinkedHashMap<Object, @Nullable Object> dict = (LinkedHashMap<Object, @Nullable Object>) map;
    for (int i = 0; i < kv.size(); i += 2) {
      dict.put(key(kv.get(i)), kv.get(i + 1));
    }
  }

  /** Dict keys are restricted to scalars, whose hashing is cheap and cannot recurse. */
  private Object key(@Nullable Object k) {
    if (k instanceof String str) {
      chargeKey(str);
      return str;
    }
    if (k instanceof Long
        || k instanceof Boolean
        || k instanceof Double
        || k instanceof BigInteger) {
      return k;
    }
    throw fail(
        "dict key of type " + typeName(k) + " is not supported (only str, int, float, bool)");
  }

  // ---- globals and calls ---------------------------------------------------------------------

  private Object global(String module, String name) {
    Object g = SafeGlobal.resolve(module, name);
    if (g == null) {
      String qualified = module + "." + name;
      throw new UnsafePickleException(
          file,
          qualified,
          String.format(
              Locale.ROOT,
              "%s at offset %d: refused global '%s': a checkpoint may only name plain containers,"
                  + " tensor storages and argparse.Namespace; nothing was executed",
              source,
              opOffset,
              qualified));
    }
    return g;
  }

  private SafeGlobal callee(@Nullable Object callable, String opcode) {
    if (!(callable instanceof SafeGlobal g)) {
      throw fail(
          opcode + " of a " + typeName(callable) + " (only whitelisted globals can be called)");
    }
    if (g.kind == SafeGlobal.Kind.STORAGE) {
      throw fail("global '" + g.qualifiedName() + "' cannot be called");
    }
    return g;
  }

  private Pickled.Tuple args(@Nullable Object args, SafeGlobal g) {
    if (!(args instanceof Pickled.Tuple t)) {
      throw fail("arguments of " + g.qualifiedName() + " must be a tuple, got " + typeName(args));
    }
    return t;
  }

  private Object call(@Nullable Object callable, @Nullable Object rawArgs) {
    SafeGlobal g = callee(callable, "REDUCE");
    Pickled.Tuple a = args(rawArgs, g);
    switch (g) {
      case ORDERED_DICT, DICT -> {
        LinkedHashMap<Object, @Nullable Object> dict = created(new LinkedHashMap<>());
        if (a.size() == 0) {
          return dict;
        }
        arity(g, a, 1, 1);
        Object src = a.get(0);
        if (src instanceof Map<?, ?> m) {
          List<@Nullable Object> kv = new ArrayList<>();
          m.forEach(
              (k, v) -> {
                kv.add(k);
                kv.add(v);
              });
          setItems(dict, kv);
          return dict;
        }
        List<@Nullable Object> kv = new ArrayList<>();
        for (Object pair : sequence(src, g)) {
          List<@Nullable Object> p = sequence(pair, g);
          if (p.size() != 2) {
            throw fail(g.qualifiedName() + " needs (key, value) pairs");
          }
          kv.addAll(p);
        }
        setItems(dict, kv);
        return dict;
      }
      case LIST -> {
        ArrayList<@Nullable Object> list = created(new ArrayList<>());
        arity(g, a, 0, 1);
        if (a.size() == 1) {
          append(list, sequence(a.get(0), g));
        }
        return list;
      }
      case TUPLE, TORCH_SIZE -> {
        arity(g, a, 0, 1);
        return tuple(a.size() == 0 ? new ArrayList<>() : new ArrayList<>(sequence(a.get(0), g)));
      }
      case CODECS_ENCODE -> {
        arity(g, a, 1, 2);
        if (!(a.get(0) instanceof String s)) {
          throw fail("_codecs.encode needs a str, got " + typeName(a.get(0)));
        }
        Object enc = a.size() == 2 ? a.get(1) : "utf-8";
        return created(encode(s, enc));
      }
      case NAMESPACE -> {
        arity(g, a, 0, 0);
        return created(new Pickled.Obj(g.qualifiedName()));
      }
      case REBUILD_TENSOR_V2 -> {
        arity(g, a, 6, 7);
        return tensor(a, g);
      }
      case REBUILD_TENSOR -> {
        arity(g, a, 4, 4);
        return tensor(a, g);
      }
      case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
        int n = g == SafeGlobal.REBUILD_PARAMETER ? 3 : 4;
        arity(g, a, n, n);
        if (!(a.get(0) instanceof Pickled.Tensor t)) {
          throw fail(g.qualifiedName() + " needs a tensor, got " + typeName(a.get(0)));
        }
        return t;
      }
      default -> throw fail("global '" + g.qualifiedName() + "' cannot be called");
    }
  }

  private Object newObject(@Nullable Object cls, @Nullable Object rawArgs) {
    SafeGlobal g = callee(cls, "NEWOBJ");
    Pickled.Tuple a = args(rawArgs, g);
    if (g.kind != SafeGlobal.Kind.CLASS) {
      throw fail("NEWOBJ of '" + g.qualifiedName() + "', which is not a class");
    }
    arity(g, a, 0, 0);
    return switch (g) {
      case NAMESPACE -> created(new Pickled.Obj(g.qualifiedName()));
      case LIST -> created(new ArrayList<@Nullable Object>());
      default -> created(new LinkedHashMap<Object, @Nullable Object>());
    };
  }

  private void arity(SafeGlobal g, Pickled.Tuple a, int min, int max) {
    if (a.size() < min || a.size() > max) {
      throw fail(
          String.format(
              Locale.ROOT,
              "%s takes %s arguments, got %d",
              g.qualifiedName(),
              min == max ? String.valueOf(min) : min + " to " + max,
              a.size()));
    }
  }

  private List<@Nullable Object> sequence(@Nullable Object o, SafeGlobal g) {
    if (o instanceof Pickled.Tuple t) {
      return t.items;
    }
    if (o instanceof ArrayList<?> l) {
      @SuppressWarnings("unchecked")
      List<@Nullable Object> list = (List<@Nullable Object>) l;
      return list;
    }
    throw fail(g.qualifiedName() + " needs a list or tuple, got " + typeName(o));
  }

  private byte[] encode(String s, @Nullable Object encoding) {
    String enc = encoding instanceof String e ? e.toLowerCase(Locale.ROOT).replace('_', '-') : "";
    switch (enc) {
      case "latin1", "latin-1", "iso-8859-1" -> {
        byte[] b = new byte[s.length()];
        for (int i = 0; i < s.length(); i++) {
          char c = s.charAt(i);
          if (c > 0xff) {
            throw fail("_codecs.encode: character U+" + Integer.toHexString(c) + " is not latin-1");
          }
          b[i] = (byte) c;
        }
        return b;
      }
      case "utf-8", "utf8" -> {
        return s.getBytes(StandardCharsets.UTF_8);
      }
      default -> throw fail("_codecs.encode with unsupported encoding " + encoding);
    }
  }

  /**
   * {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, hooks[,
   * metadata])} and {@code _rebuild_tensor(storage, storage_offset, size, stride)}: a view over the
   * storage, bounds-checked here against the storage's declared size. The gradient flag, hooks and
   * metadata carry nothing a host tensor needs and are ignored (hooks are never called).
   */
  private Pickled.Tensor tensor(Pickled.Tuple a, SafeGlobal g) {
    if (!(a.get(0) instanceof Pickled.Storage storage)) {
      throw fail(g.qualifiedName() + " needs a storage first, got " + typeName(a.get(0)));
    }
    long offset = nonNegative(a.get(1), "storage offset");
    long[] size = longs(a.get(2), "size");
    long[] stride = longs(a.get(3), "stride");
    if (size.length != stride.length) {
      throw fail("tensor has " + size.length + " sizes but " + stride.length + " strides");
    }
    long numel;
    long maxIndex;
    try {
      numel = 1;
      maxIndex = offset;
      for (int i = 0; i < size.length; i++) {
        numel = Math.multiplyExact(numel, size[i]);
        if (size[i] > 0) {
          maxIndex = Math.addExact(maxIndex, Math.multiplyExact(size[i] - 1, stride[i]));
        }
      }
      Math.multiplyExact(numel, (long) storage.dtype.byteSize());
    } catch (ArithmeticException e) {
      throw fail(
          "tensor of size "
              + Arrays.toString(size)
              + " and stride "
              + Arrays.toString(stride)
              + " overflows 64-bit arithmetic");
    }
    String view =
        String.format(
            Locale.ROOT,
            "tensor of size %s, stride %s, offset %d",
            Arrays.toString(size),
            Arrays.toString(stride),
            offset);
    if (numel > 0 && maxIndex >= storage.viewNumel) {
      throw fail(
          String.format(
              Locale.ROOT,
              "%s reaches element %d but storage '%s' holds only %d elements",
              view,
              maxIndex,
              storage.key,
              storage.viewNumel));
    }
    if (numel == 0 && offset > storage.viewNumel) {
      throw fail(view + " starts past the end of storage '" + storage.key + "'");
    }
    if (numel * storage.dtype.byteSize() > MAX_BYTES) {
      throw fail(view + " is larger than 2 GiB, which a host tensor cannot hold");
    }
    charge(1);
    return new Pickled.Tensor(storage, offset, size, stride, numel);
  }

  private long nonNegative(@Nullable Object o, String what) {
    if (!(o instanceof Long v) || v < 0) {
      throw fail(what + " must be a non-negative int, got " + describe(o));
    }
    return v;
  }

  private long[] longs(@Nullable Object o, String what) {
    if (!(o instanceof Pickled.Tuple t)) {
      throw fail("tensor " + what + " must be a tuple, got " + typeName(o));
    }
    if (t.size() > MAX_DIMS) {
      throw fail("tensor " + what + " has " + t.size() + " dimensions, more than " + MAX_DIMS);
    }
    long[] v = new long[t.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = nonNegative(t.get(i), "tensor " + what + " entry");
    }
    return v;
  }

  private void build(@Nullable Object target, @Nullable Object state) {
    if (target instanceof Pickled.Obj obj) {
      if (state instanceof Pickled.Tuple t && t.size() == 2) {
        mergeState(obj, t.get(0));
        mergeState(obj, t.get(1));
      } else {
        mergeState(obj, state);
      }
      return;
    }
    if (target instanceof LinkedHashMap<?, ?>) {
      // Attributes of a dict subclass (a state dict's _metadata): inert, and not part of the
      // mapping, so they are dropped.
      if (state == null || state instanceof Map<?, ?> || state instanceof Pickled.Tuple) {
        return;
      }
      throw fail("BUILD of a dict with a " + typeName(state) + " state");
    }
    throw fail("BUILD on a " + typeName(target) + " is not supported");
  }

  private void mergeState(Pickled.Obj obj, @Nullable Object state) {
    if (state == null) {
      return;
    }
    if (!(state instanceof Map<?, ?> m)) {
      throw fail("state of " + obj.className + " must be a dict, got " + typeName(state));
    }
    charge(m.size());
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        throw fail(
            "attribute name of " + obj.className + " must be a str, got " + typeName(e.getKey()));
      }
      chargeKey(k);
      obj.state.put(k, e.getValue());
    }
  }

  private Pickled.Storage persistent(@Nullable Object pid) {
    PersistentLoader l = loader;
    if (l == null) {
      throw fail("persistent id where no storage may be referenced");
    }
    charge(1);
    return l.load(pid, this);
  }

  /** Position of the next byte (after STOP once {@link #load()} returned). */
  long position() {
    return in.position();
  }

  /** Python's name for the type of a stack value, for messages. */
  static String typeName(@Nullable Object o) {
    if (o == null) {
      return "None";
    } else if (o instanceof String) {
      return "str";
    } else if (o instanceof Long || o instanceof BigInteger) {
      return "int";
    } else if (o instanceof Double) {
      return "float";
    } else if (o instanceof Boolean) {
      return "bool";
    } else if (o instanceof byte[]) {
      return "bytes";
    } else if (o instanceof Pickled.Tuple) {
      return "tuple";
    } else if (o instanceof List<?>) {
      return "list";
    } else if (o instanceof Map<?, ?>) {
      return "dict";
    } else if (o instanceof Pickled.Obj obj) {
      return obj.className;
    } else if (o instanceof SafeGlobal g) {
      return "global '" + g.qualifiedName() + "'";
    } else if (o instanceof Pickled.Storage) {
      return "storage";
    } else if (o instanceof Pickled.Tensor) {
      return "tensor";
    } else if (o instanceof DType) {
      return "dtype";
    }
    return o.getClass().getSimpleName();
  }

  private static String describe(@Nullable Object o) {
    if (o instanceof Long
        || o instanceof BigInteger
        || o instanceof Double
        || o instanceof Boolean) {
      return typeName(o) + " " + o;
    }
    return typeName(o);
  }
}
