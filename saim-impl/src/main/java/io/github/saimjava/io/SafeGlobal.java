package io.github.saimjava.io;

import com.google.common.collect.ImmutableMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The whitelist: the only Python globals a checkpoint pickle may name. Everything else is refused
 * when the pickle names it, so no other callable can ever reach {@code REDUCE}. None of these is
 * executed either: each is a recipe the unpickler interprets itself.
 */
enum SafeGlobal {
  ORDERED_DICT("collections", "OrderedDict", Kind.CLASS),
  DICT("builtins", "dict", Kind.CLASS),
  LIST("builtins", "list", Kind.CLASS),
  TUPLE("builtins", "tuple", Kind.FUNCTION),
  CODECS_ENCODE("_codecs", "encode", Kind.FUNCTION),
  NAMESPACE("argparse", "Namespace", Kind.CLASS),
  TORCH_SIZE("torch", "Size", Kind.FUNCTION),
  REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2", Kind.FUNCTION),
  REBUILD_TENSOR("torch._utils", "_rebuild_tensor", Kind.FUNCTION),
  REBUILD_PARAMETER("torch._utils", "_rebuild_parameter", Kind.FUNCTION),
  REBUILD_PARAMETER_WITH_STATE("torch._utils", "_rebuild_parameter_with_state", Kind.FUNCTION),
  FLOAT_STORAGE("torch", "FloatStorage", DType.F32),
  HALF_STORAGE("torch", "HalfStorage", DType.F16),
  BFLOAT16_STORAGE("torch", "BFloat16Storage", DType.BF16),
  DOUBLE_STORAGE("torch", "DoubleStorage", DType.F64),
  LONG_STORAGE("torch", "LongStorage", DType.I64),
  INT_STORAGE("torch", "IntStorage", DType.I32),
  SHORT_STORAGE("torch", "ShortStorage", DType.I16),
  CHAR_STORAGE("torch", "CharStorage", DType.I8),
  BYTE_STORAGE("torch", "ByteStorage", DType.U8),
  BOOL_STORAGE("torch", "BoolStorage", DType.BOOL);

  /** What the unpickler may do with a global. */
  enum Kind {
    /** May be called by REDUCE. */
    FUNCTION,
    /** May be called by REDUCE or instantiated by NEWOBJ. */
    CLASS,
    /** A storage type: only names the element type of a persistent id. */
    STORAGE
  }

  /** Dtype objects ({@code torch.float32} and its aliases) the pickle may name as plain values. */
  private static final Map<String, DType> DTYPES =
      ImmutableMap.<String, DType>builder()
          .put("float32", DType.F32)
          .put("float", DType.F32)
          .put("float64", DType.F64)
          .put("double", DType.F64)
          .put("float16", DType.F16)
          .put("half", DType.F16)
          .put("bfloat16", DType.BF16)
          .put("int64", DType.I64)
          .put("long", DType.I64)
          .put("int32", DType.I32)
          .put("int", DType.I32)
          .put("int16", DType.I16)
          .put("short", DType.I16)
          .put("int8", DType.I8)
          .put("uint8", DType.U8)
          .put("bool", DType.BOOL)
          .buildOrThrow();

  private static final Map<String, SafeGlobal> BY_NAME;

  static {
    ImmutableMap.Builder<String, SafeGlobal> b = ImmutableMap.builder();
    for (SafeGlobal g : values()) {
      b.put(g.qualifiedName(), g);
      if (g.kind == Kind.STORAGE) {
        // storages of tensors saved from a GPU in legacy files; they load onto the host the same
        // way
        b.put("torch.cuda." + g.name, g);
      }
    }
    BY_NAME = b.buildOrThrow();
  }

  final String module;
  final String name;
  final Kind kind;
  final @Nullable DType storageDtype;

  SafeGlobal(String module, String name, Kind kind) {
    this.module = module;
    this.name = name;
    this.kind = kind;
    this.storageDtype = null;
  }

  SafeGlobal(String module, String name, DType storageDtype) {
    this.module = module;
    this.name = name;
    this.kind = Kind.STORAGE;
    this.storageDtype = storageDtype;
  }

  /** {@code module.name}, as Python spells it. */
  String qualifiedName() {
    return module + "." + name;
  }

  /**
   * What {@code module.name} stands for: a {@link SafeGlobal}, a {@link DType} for dtype objects,
   * or null when the global is not on the whitelist.
   */
  static @Nullable Object resolve(String module, String name) {
    SafeGlobal g = BY_NAME.get(module + "." + name);
    if (g != null) {
      return g;
    }
    if (module.equals("torch")) {
      return DTYPES.get(name);
    }
    return null;
  }
}
