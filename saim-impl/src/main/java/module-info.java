/**
 * The implementation of {@code io.github.saimjava.api} on DJL's PyTorch engine. It exports nothing:
 * programs reach it through the API's builders, which find the providers below with {@link
 * java.util.ServiceLoader}. Its packages (model, train, data, io, downstream, provider) are
 * internal; the command-line program and the benchmarks, which use them, run on the class path,
 * where a module descriptor does not apply.
 */
// DJL's jars are automatic modules (Automatic-Module-Name only), which javac's lint reports
@SuppressWarnings("requires-automatic")
module io.github.saimjava.impl {
  requires io.github.saimjava.api;
  requires io.github.saimjava.distributed;
  requires ai.djl.api;
  requires ai.djl.pytorch_engine;
  requires com.google.common;
  requires com.google.gson;
  requires org.slf4j;
  // image decoding (ImageIO) and BufferedImage
  requires java.desktop;
  // the ONNX model file's messages (package onnx)
  requires com.google.protobuf;
  requires static org.jspecify;

  provides io.github.saimjava.api.spi.SaimProvider with
      io.github.saimjava.provider.DjlSaimProvider;
  provides io.github.saimjava.api.spi.CheckpointImporter with
      io.github.saimjava.io.SafeCheckpointImporter;
}
