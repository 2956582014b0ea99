package io.github.saimjava.onnx;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.github.saimjava.io.AtomicFiles;
import io.github.saimjava.onnx.OnnxGraph.Initializer;
import io.github.saimjava.onnx.VitOnnx.OnnxModel;
import io.github.saimjava.onnx.proto.Onnx.GraphProto;
import io.github.saimjava.onnx.proto.Onnx.ModelProto;
import io.github.saimjava.onnx.proto.Onnx.OperatorSetIdProto;
import io.github.saimjava.onnx.proto.Onnx.StringStringEntryProto;
import io.github.saimjava.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes an {@link OnnxModel} as an ONNX model file, atomically: a reader (or a crash) sees the old
 * file or the complete new one, never a partial {@code .onnx}. Weights go inline as the tensors'
 * raw data while they fit the 2 GB limit of one protobuf message with room to spare; larger models
 * keep their weights in {@code NAME.onnx.data} beside the model (ONNX's external data: each tensor
 * names that file, its offset and its length), which is written first.
 */
public final class OnnxFile {
  /** Weights beyond this many bytes go to the external data file. */
  public static final long INLINE_LIMIT = (1L << 31) - (64L << 20);

  private OnnxFile() {}

  /** The IR version of the ONNX release that introduced {@code opset}, 17 to 21. */
  static long irVersion(int opset) {
    return switch (opset) {
      case 17, 18 -> 8;
      case 19, 20 -> 9;
      default -> 10;
    };
  }

  /**
   * Writes {@code model} to {@code file}, weights inline unless they exceed {@link #INLINE_LIMIT}.
   *
   * @throws IOException naming the file when it cannot be written
   */
  public static void write(OnnxModel model, Path file) throws IOException {
    write(model, file, INLINE_LIMIT);
  }

  /**
   * As {@link #write(OnnxModel, Path)}, with weights beyond {@code inlineLimit} bytes in the
   * external data file (the tests lower the limit to check that path on a small model).
   */
  static void write(OnnxModel model, Path file, long inlineLimit) throws IOException {
    OnnxGraph g = model.graph();
    long total = 0;
    for (Initializer t : g.initializers()) {
      total += t.byteCount();
    }
    boolean external = total > inlineLimit;
    Path name = Objects.requireNonNull(file.toAbsolutePath().getFileName(), "file name");
    String dataName = name + ".data";
    Path data = file.resolveSibling(dataName);
    GraphProto.Builder graph = g.graph().clone();
    List<Initializer> outside = new ArrayList<>();
    if (external) {
      long offset = 0;
      for (Initializer t : g.initializers()) {
        if (!goesOutside(t)) {
          graph.addInitializer(header(t).setRawData(raw(t)));
          continue;
        }
        outside.add(t);
        graph.addInitializer(
            header(t)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", dataName))
                .addExternalData(entry("offset", String.valueOf(offset)))
                .addExternalData(entry("length", String.valueOf(t.byteCount()))));
        offset += t.byteCount();
      }
    } else {
      for (Initializer t : g.initializers()) {
        graph.addInitializer(header(t).setRawData(raw(t)));
      }
    }
    ModelProto.Builder m =
        ModelProto.newBuilder()
            .setIrVersion(irVersion(model.opset()))
            .setProducerName("saim-java")
            .setProducerVersion(version())
            .setModelVersion(1)
            .setGraph(graph)
            .addOpsetImport(
                OperatorSetIdProto.newBuilder().setDomain("").setVersion(model.opset()));
    for (Map.Entry<String, String> e : model.metadata().entrySet()) {
      m.addMetadataProps(entry(e.getKey(), e.getValue()));
    }
    ModelProto proto = m.build();
    boolean dataWritten = false;
    try {
      if (external) {
        AtomicFiles.write(
            data,
            ch -> {
              for (Initializer t : outside) {
                var b = t.bytes().duplicate();
                while (b.hasRemaining()) {
                  ch.write(b);
                }
              }
            });
        dataWritten = true;
      }
      AtomicFiles.write(
          file,
          ch -> {
            OutputStream out = Channels.newOutputStream(ch);
            CodedOutputStream coded = CodedOutputStream.newInstance(out, 1 << 16);
            proto.writeTo(coded);
            coded.flush();
          });
    } catch (IOException | RuntimeException e) {
      if (dataWritten) {
        Files.deleteIfExists(data);
      }
      throw new IOException("cannot write the ONNX model " + file + ": " + describe(e), e);
    }
  }

  /**
   * Whether a tensor goes to the external data file of a large model: the weights do; shapes, axes
   * and scalars stay inline, where shape inference (ONNX Runtime's included) reads them.
   */
  private static boolean goesOutside(Initializer t) {
    return t.dataType() == TensorProto.DataType.FLOAT_VALUE && t.byteCount() >= 1024;
  }

  private static String describe(Exception e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
  }

  private static TensorProto.Builder header(Initializer t) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(t.name()).setDataType(t.dataType());
    for (long d : t.dims()) {
      b.addDims(d);
    }
    return b;
  }

  private static ByteString raw(Initializer t) {
    return UnsafeByteOperations.unsafeWrap(t.bytes().duplicate());
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  private static String version() {
    String v = OnnxFile.class.getPackage().getImplementationVersion();
    return v != null ? v : "development";
  }
}
