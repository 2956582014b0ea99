package io.github.saimjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A TorchScript module with no state, built in memory from its TorchScript source and loaded into
 * the engine: the way this project reaches engine operators that DJL 0.36 does not expose (bfloat16
 * casts with autograd, the fused AdamW kernel). No binary file is involved: the archive holds the
 * source text and a pickled empty instance.
 */
public final class ScriptModule {
  private ScriptModule() {}

  /**
   * Loads module class {@code className} defined by {@code source} (TorchScript's serialized form:
   * a {@code class <className>(Module)} with {@code __parameters__}, {@code __buffers__}, {@code
   * training} and its methods) on {@code manager}, which owns it.
   *
   * @throws IllegalStateException when the engine rejects the source (an operator it lacks)
   */
  public static PtSymbolBlock load(NDManager manager, String className, String source) {
    try {
      return JniUtils.loadModule(
          (PtNDManager) manager, new ByteArrayInputStream(archive(className, source)), true, false);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "the engine cannot load the TorchScript module " + className + ": " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code method} of {@code module} on {@code args} with autograd on, the result attached to
   * {@code into}'s manager.
   *
   * <p>DJL selects the method through a first argument named {@code module_method:<name>} and
   * attaches the result to the manager of that first array, so the selector is created on {@code
   * into}'s manager (the activations', not the parameters'). DJL passes an array whose name holds a
   * '.' as a dictionary, so named arrays (parameters) go in as unnamed views.
   */
  static NDArray call(PtSymbolBlock module, String method, NDArray into, NDArray... args) {
    NDArray selector = into.getManager().create(0f);
    selector.setName("module_method:" + method);
    NDList in = new NDList(args.length + 1);
    in.add(selector);
    NDList views = new NDList();
    for (NDArray a : args) {
      if (a.getName() == null) {
        in.add(a);
      } else {
        NDArray view = a.reshape(a.getShape());
        views.add(view);
        in.add(view);
      }
    }
    try {
      return IValueUtils.forward(module, in, true).singletonOrThrow();
    } finally {
      selector.close();
      views.close();
    }
  }

  /**
   * A TorchScript archive (stored zip) holding {@code source} and an instance of {@code className}
   * with no state.
   */
  static byte[] archive(String className, String source) {
    String dir = className.toLowerCase(Locale.ROOT);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.setMethod(ZipOutputStream.STORED);
      put(zip, dir + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
      put(zip, dir + "/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
      // pickle protocol 2: an empty tuple
      put(zip, dir + "/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
      // pickle protocol 2: __torch__.<className>() with state {'training': True}
      ByteArrayOutputStream pkl = new ByteArrayOutputStream();
      pkl.write(0x80);
      pkl.write(2);
      pkl.writeBytes(("c__torch__\n" + className + "\n)").getBytes(StandardCharsets.US_ASCII));
      pkl.write(0x81); // NEWOBJ
      pkl.writeBytes("}X".getBytes(StandardCharsets.US_ASCII)); // EMPTY_DICT, BINUNICODE
      pkl.writeBytes(new byte[] {8, 0, 0, 0});
      pkl.writeBytes("training".getBytes(StandardCharsets.US_ASCII));
      pkl.write(0x88); // NEWTRUE
      pkl.writeBytes("sb.".getBytes(StandardCharsets.US_ASCII)); // SETITEM, BUILD, STOP
      put(zip, dir + "/data.pkl", pkl.toByteArray());
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
}
