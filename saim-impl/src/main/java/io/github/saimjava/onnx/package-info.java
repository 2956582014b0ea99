/**
 * ONNX export: the encoder and the classifiers as ONNX graphs ({@link
 * io.github.saimjava.onnx.VitOnnx}) written as model files ({@link
 * io.github.saimjava.onnx.OnnxFile}) that ONNX Runtime and DJL's OnnxRuntime engine load, so a
 * model trained here can be served without PyTorch. The protobuf messages are generated at build
 * time from {@code src/main/proto/onnx_subset.proto}.
 */
@NullMarked
package io.github.saimjava.onnx;

import org.jspecify.annotations.NullMarked;
