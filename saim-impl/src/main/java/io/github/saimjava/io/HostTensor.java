package io.github.saimjava.io;

import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An immutable tensor in host memory: element type, shape and little-endian contiguous row-major
 * bytes. It is the value exchanged between tensor files and the engine.
 */
public final class HostTensor {
  private final DType dtype;
  private final long[] shape;
  private final ByteBuffer data;

  private HostTensor(DType dtype, long[] shape, ByteBuffer data) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
  }

  /**
   * A tensor over a copy of {@code bytes}' remaining content.
   *
   * @throws IllegalArgumentException if the byte count does not match the shape and type
   */
  public static HostTensor of(DType dtype, long[] shape, ByteBuffer bytes) {
    long n = numel(shape);
    Preconditions.checkArgument(
        bytes.remaining() == n * dtype.byteSize(),
        "tensor of shape %s and dtype %s needs %s bytes, got %s",
        Arrays.toString(shape),
        dtype,
        n * dtype.byteSize(),
        bytes.remaining());
    ByteBuffer copy = ByteBuffer.allocate(bytes.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(bytes.duplicate());
    copy.flip();
    return new HostTensor(dtype, shape.clone(), copy);
  }

  /**
   * A tensor that takes ownership of {@code bytes} without copying: the caller must hold no other
   * reference to the buffer. Its content from position 0 to its limit must match the shape and
   * type.
   */
  static HostTensor wrapOwned(DType dtype, long[] shape, ByteBuffer bytes) {
    long n = numel(shape);
    Preconditions.checkArgument(
        bytes.position() == 0 && bytes.limit() == n * dtype.byteSize(),
        "tensor of shape %s and dtype %s needs %s bytes, got %s",
        Arrays.toString(shape),
        dtype,
        n * dtype.byteSize(),
        bytes.remaining());
    return new HostTensor(dtype, shape.clone(), bytes.order(ByteOrder.LITTLE_ENDIAN));
  }

  private static void checkHolds(long[] shape, int values) {
    Preconditions.checkArgument(
        numel(shape) == values,
        "shape %s holds %s values, got %s",
        Arrays.toString(shape),
        numel(shape),
        values);
  }

  /** A float32 tensor holding {@code values} (copied) in row-major order. */
  public static HostTensor ofFloats(long[] shape, float[] values) {
    checkHolds(shape, values.length);
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new HostTensor(DType.F32, shape.clone(), b);
  }

  /** A int64 tensor holding {@code values} (copied) in row-major order. */
  public static HostTensor ofLongs(long[] shape, long[] values) {
    checkHolds(shape, values.length);
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return new HostTensor(DType.I64, shape.clone(), b);
  }

  /**
   * Element count of {@code shape}; throws {@link IllegalArgumentException} on negative or
   * overflowing sizes.
   */
  public static long numel(long[] shape) {
    long n = 1;
    for (long d : shape) {
      Preconditions.checkArgument(d >= 0, "negative dimension in shape %s", Arrays.toString(shape));
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public DType dtype() {
    return dtype;
  }

  /** The shape (a copy). */
  public long[] shape() {
    return shape.clone();
  }

  public long numel() {
    return numel(shape);
  }

  /** The bytes, read-only, little-endian, positioned at 0. */
  public ByteBuffer data() {
    return data.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The values widened or narrowed to float32 (exact for F32, F16 and BF16). */
  public float[] toFloatArray() {
    int n = Math.toIntExact(numel());
    float[] out = new float[n];
    ByteBuffer b = data();
    for (int i = 0; i < n; i++) {
      out[i] =
          switch (dtype) {
            case F32 -> b.getFloat(i * 4);
            case F64 -> (float) b.getDouble(i * 8);
            case F16 -> halfToFloat(b.getShort(i * 2));
            case BF16 -> Float.intBitsToFloat((b.getShort(i * 2) & 0xffff) << 16);
            case I64 -> b.getLong(i * 8);
            case I32 -> b.getInt(i * 4);
            case I16 -> b.getShort(i * 2);
            case I8 -> b.get(i);
            case U8, BOOL -> b.get(i) & 0xff;
          };
    }
    return out;
  }

  /**
   * IEEE 754 binary16 to float32, exact for every value including subnormals, infinities and NaN.
   */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      // subnormal or zero: mant * 2^-24
      float v = mant * 0x1.0p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /** This tensor converted to float32 (itself when already float32). */
  public HostTensor toF32() {
    return dtype == DType.F32 ? this : ofFloats(shape, toFloatArray());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostTensor t
        && t.dtype == dtype
        && Arrays.equals(t.shape, shape)
        && t.data.equals(data);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + data.hashCode();
  }

  @Override
  public String toString() {
    return "HostTensor[" + dtype + " " + Arrays.toString(shape) + "]";
  }
}
