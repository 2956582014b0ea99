package io.github.saimjava.onnx;

import io.github.saimjava.onnx.proto.Onnx.AttributeProto;
import io.github.saimjava.onnx.proto.Onnx.GraphProto;
import io.github.saimjava.onnx.proto.Onnx.NodeProto;
import io.github.saimjava.onnx.proto.Onnx.TensorProto;
import io.github.saimjava.onnx.proto.Onnx.TensorShapeProto;
import io.github.saimjava.onnx.proto.Onnx.TypeProto;
import io.github.saimjava.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An ONNX graph under construction: nodes in topological order (each added after its inputs), named
 * values, and the weights as initializers. Values are named by the caller or numbered; every name
 * is unique. Initializer bytes are kept apart from the graph, so that {@link OnnxFile} can write
 * them inline or to an external data file.
 */
final class OnnxGraph {
  /** A float32 or int64 initializer: its name, shape and little-endian bytes. */
  record Initializer(String name, long[] dims, int dataType, ByteBuffer bytes) {
    long byteCount() {
      return bytes.remaining();
    }
  }

  /** A node attribute. */
  record Attr(AttributeProto proto) {
    static Attr of(String name, long value) {
      return new Attr(
          AttributeProto.newBuilder()
              .setName(name)
              .setType(AttributeProto.AttributeType.INT)
              .setI(value)
              .build());
    }

    static Attr of(String name, float value) {
      return new Attr(
          AttributeProto.newBuilder()
              .setName(name)
              .setType(AttributeProto.AttributeType.FLOAT)
              .setF(value)
              .build());
    }

    static Attr of(String name, String value) {
      return new Attr(
          AttributeProto.newBuilder()
              .setName(name)
              .setType(AttributeProto.AttributeType.STRING)
              .setS(com.google.protobuf.ByteString.copyFromUtf8(value))
              .build());
    }

    static Attr ints(String name, long... values) {
      AttributeProto.Builder b =
          AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
      for (long v : values) {
        b.addInts(v);
      }
      return new Attr(b.build());
    }
  }

  private final GraphProto.Builder graph = GraphProto.newBuilder();
  private final List<Initializer> initializers = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  private int counter;

  OnnxGraph(String name) {
    graph.setName(name);
  }

  /** A fresh value name starting with {@code hint}. */
  String fresh(String hint) {
    String n;
    do {
      n = hint + "_" + counter++;
    } while (names.contains(n));
    names.add(n);
    return n;
  }

  private String claim(String name) {
    if (!names.add(name)) {
      throw new IllegalStateException("value name " + name + " is used twice");
    }
    return name;
  }

  /** A float32 weight of shape {@code dims} holding {@code values} (row-major); its name. */
  String weight(String name, long[] dims, float[] values) {
    return floats(claim(name), dims, values);
  }

  private String floats(String name, long[] dims, float[] values) {
    if (Arrays.stream(dims).reduce(1, Math::multiplyExact) != values.length) {
      throw new IllegalArgumentException(
          name + ": " + values.length + " values for shape " + Arrays.toString(dims));
    }
    ByteBuffer b =
        ByteBuffer.allocate(Math.multiplyExact(values.length, Float.BYTES))
            .order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    initializers.add(new Initializer(name, dims.clone(), TensorProto.DataType.FLOAT_VALUE, b));
    return name;
  }

  /** A float32 scalar constant; its name. */
  String scalar(String hint, float value) {
    return floats(fresh(hint), new long[0], new float[] {value});
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds); its name. */
  String int64s(String hint, long... values) {
    String name = fresh(hint);
    ByteBuffer b =
        ByteBuffer.allocate(Math.multiplyExact(values.length, Long.BYTES))
            .order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    initializers.add(
        new Initializer(name, new long[] {values.length}, TensorProto.DataType.INT64_VALUE, b));
    return name;
  }

  /** A scalar int64 constant (Gather's index); its name. */
  String int64Scalar(String hint, long value) {
    String name = fresh(hint);
    ByteBuffer b = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
    b.flip();
    initializers.add(new Initializer(name, new long[0], TensorProto.DataType.INT64_VALUE, b));
    return name;
  }

  /** Adds a node of {@code op} with one output named from {@code hint}; the output's name. */
  String op(String op, String hint, List<String> inputs, Attr... attrs) {
    String out = fresh(hint);
    NodeProto.Builder n =
        NodeProto.newBuilder().setOpType(op).setName(out).addAllInput(inputs).addOutput(out);
    for (Attr a : attrs) {
      n.addAttribute(a.proto());
    }
    graph.addNode(n);
    return out;
  }

  /** Renames the graph's value {@code value} to {@code name} through an Identity node. */
  String identity(String value, String name) {
    graph.addNode(
        NodeProto.newBuilder()
            .setOpType("Identity")
            .setName(claim(name))
            .addInput(value)
            .addOutput(name));
    return name;
  }

  /**
   * Declares a float32 graph input or output; {@code dims} entries are sizes, or null for a
   * dimension named {@code param} (the batch).
   */
  private static ValueInfoProto value(String name, String param, Long[] dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Long d : dims) {
      shape.addDim(
          d == null
              ? TensorShapeProto.Dimension.newBuilder().setDimParam(param)
              : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE)
                        .setShape(shape)))
        .build();
  }

  /** A float32 graph input whose first dimension is the batch, named {@code batch}. */
  String input(String name, long... rest) {
    graph.addInput(value(claim(name), "batch", batchFirst(rest)));
    return name;
  }

  /** Marks {@code name} (a value of the graph) as a float32 output, batch first. */
  void output(String name, long... rest) {
    graph.addOutput(value(name, "batch", batchFirst(rest)));
  }

  private static Long[] batchFirst(long[] rest) {
    Long[] dims = new Long[rest.length + 1];
    for (int i = 0; i < rest.length; i++) {
      dims[i + 1] = rest[i];
    }
    return dims;
  }

  /** The graph without its initializers (see {@link #initializers()}). */
  GraphProto.Builder graph() {
    return graph;
  }

  /** The initializers, in the order they were added. */
  List<Initializer> initializers() {
    return Collections.unmodifiableList(initializers);
  }
}
