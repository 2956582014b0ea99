package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import io.github.saimjava.api.Precision;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.jspecify.annotations.Nullable;

/**
 * The model's number format at its matrix multiplies, as PyTorch's autocast chooses it: linear
 * layers and the two attention products run in bfloat16 when {@link Precision#BF16} is on,
 * everything else (LayerNorm, softmax, residual sums, target, loss) in float32.
 *
 * <p>DJL 0.36's PyTorch engine has no bfloat16: its type table stops at complex64, so
 * {@code toType(BFLOAT16)} aborts the process, and its casts run without autograd anyway. The two
 * casts are therefore a TorchScript module of two one-line methods, built here as a TorchScript
 * archive in memory (the source below, no binary file) and called with autograd on, so gradients
 * flow back through a cast as float32. A bfloat16 array reports {@link DataType#UNKNOWN} to DJL;
 * code that handles such arrays must not ask the engine to create arrays of their type.
 */
public final class Autocast implements AutoCloseable {
  /** TorchScript source; dtype codes are c10::ScalarType: 6 = float32, 15 = bfloat16. */
  private static final String SOURCE = String.join("\n",
      "class Cast(Module):",
      "  __parameters__ = []",
      "  __buffers__ = []",
      "  training : bool",
      "  def forward(self: __torch__.Cast,",
      "    x: Tensor) -> Tensor:",
      "    return torch.to(x, 15)",
      "  def to_f32(self: __torch__.Cast,",
      "    x: Tensor) -> Tensor:",
      "    return torch.to(x, 6)",
      "");

  private final @Nullable PtSymbolBlock cast;

  /** Float32 everywhere: every method returns its argument. */
  public static Autocast fp32() {
    return new Autocast(null);
  }

  /** The casts for {@code precision}, loaded on {@code manager} (which owns them) when needed. */
  public static Autocast of(Precision precision, NDManager manager) {
    if (precision == Precision.FP32) {
      return fp32();
    }
    try {
      return new Autocast(JniUtils.loadModule((PtNDManager) manager,
          new ByteArrayInputStream(archive()), true, false));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Autocast(@Nullable PtSymbolBlock cast) {
    this.cast = cast;
  }

  /** Whether the matrix multiplies run in bfloat16. */
  public boolean enabled() {
    return cast != null;
  }

  /**
   * {@code x} in bfloat16 when enabled (unchanged if it already is), attached to {@code into}'s
   * manager; otherwise {@code x}.
   */
  public NDArray lower(NDArray x, NDArray into) {
    if (cast == null || x.getDataType() == DataType.UNKNOWN) {
      return x;
    }
    return call("forward", x, into);
  }

  /** {@code x} in float32 when enabled and it is bfloat16; otherwise {@code x}. */
  public NDArray upper(NDArray x) {
    if (cast == null || x.getDataType() != DataType.UNKNOWN) {
      return x;
    }
    return call("to_f32", x, x);
  }

  private NDArray call(String method, NDArray x, NDArray into) {
    // DJL passes a named array whose name holds a '.' as a dictionary (parameter names do), and
    // attaches the result to the manager of the first array; the selector comes first and names
    // the method, so the result lives with the activations, not with the parameters
    NDArray in = x.getName() == null ? x : x.reshape(x.getShape());
    NDArray selector = into.getManager().create(0f);
    selector.setName("module_method:" + method);
    try {
      return IValueUtils.forward(java.util.Objects.requireNonNull(cast), new NDList(selector, in), true)
          .singletonOrThrow();
    } finally {
      selector.close();
      if (in != x) {
        in.close();
      }
    }
  }

  /** A TorchScript archive (stored zip) holding {@link #SOURCE} and an instance with no state. */
  static byte[] archive() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.setMethod(ZipOutputStream.STORED);
      put(zip, "cast/version", "3\n".getBytes(StandardCharsets.US_ASCII));
      put(zip, "cast/code/__torch__.py", SOURCE.getBytes(StandardCharsets.UTF_8));
      // pickle protocol 2: an empty tuple
      put(zip, "cast/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      // pickle protocol 2: __torch__.Cast() with state {'training': True}
      ByteArrayOutputStream pkl = new ByteArrayOutputStream();
      pkl.write(0x80);
      pkl.write(2);
      pkl.writeBytes("c__torch__\nCast\n)".getBytes(StandardCharsets.US_ASCII));
      pkl.write(0x81); // NEWOBJ
      pkl.writeBytes("}X".getBytes(StandardCharsets.US_ASCII)); // EMPTY_DICT, BINUNICODE
      pkl.writeBytes(new byte[] {8, 0, 0, 0});
      pkl.writeBytes("training".getBytes(StandardCharsets.US_ASCII));
      pkl.write(0x88); // NEWTRUE
      pkl.writeBytes("sb.".getBytes(StandardCharsets.US_ASCII)); // SETITEM, BUILD, STOP
      put(zip, "cast/data.pkl", pkl.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void put(ZipOutputStream zip, String name, byte[] data) throws IOException {
    ZipEntry e = new ZipEntry(name);
    CRC32 crc = new CRC32();
    crc.update(data);
    e.setSize(data.length);
    e.setCompressedSize(data.length);
    e.setCrc(crc.getValue());
    zip.putNextEntry(e);
    zip.write(data);
    zip.closeEntry();
  }

  /** Frees the loaded casts (also freed with the manager they were loaded on). */
  @Override
  public void close() {
    if (cast != null) {
      cast.close();
    }
  }
}
