package io.github.saimjava.io;

import java.util.Locale;

/**
 * Element types of tensors as files store them, with their safetensors names and widths in bytes.
 */
public enum DType {
  F64(8),
  F32(4),
  F16(2),
  BF16(2),
  I64(8),
  I32(4),
  I16(2),
  I8(1),
  U8(1),
  BOOL(1);

  private final int byteSize;

  DType(int byteSize) {
    this.byteSize = byteSize;
  }

  /** Bytes per element. */
  public int byteSize() {
    return byteSize;
  }

  /** True for the floating-point types. */
  public boolean isFloating() {
    return this == F64 || this == F32 || this == F16 || this == BF16;
  }

  /**
   * The type named {@code name} in a safetensors header.
   *
   * @throws IllegalArgumentException naming the value when the type is unknown
   */
  public static DType fromSafetensorsName(String name) {
    for (DType t : values()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        String.format(Locale.ROOT, "unsupported tensor dtype '%s'", name));
  }
}
