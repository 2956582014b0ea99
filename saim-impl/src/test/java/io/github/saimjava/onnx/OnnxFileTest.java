package io.github.saimjava.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.model.SaimModel;
import io.github.saimjava.onnx.proto.Onnx.ModelProto;
import io.github.saimjava.onnx.proto.Onnx.TensorProto;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model file as ONNX readers see it: its header, its operators, its external data. */
class OnnxFileTest {
  static final SaimConfig TINY =
      SaimConfig.builder()
          .imageSize(16)
          .patchSize(4)
          .width(32)
          .depth(2)
          .queryDepth(2)
          .heads(2)
          .build();

  @TempDir Path tmp;

  static Map<String, HostTensor> weights() {
    try (NDManager m = NDManager.newBaseManager("PyTorch");
        SaimModel model = new SaimModel(TINY, m, 7)) {
      return model.stateDict();
    }
  }

  static VitOnnx.OnnxModel encoder(int opset) {
    return VitOnnx.encoder(weights(), TINY, SaimEncoder.Pooling.CLS, 2, false, opset);
  }

  @Test
  void headerOpsetAndBatchAxisAreWhatReadersExpect() throws Exception {
    Path file = tmp.resolve("m.onnx");
    OnnxFile.write(encoder(17), file);
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(file));
    assertEquals(8, m.getIrVersion());
    assertEquals(1, m.getOpsetImportCount());
    assertEquals("", m.getOpsetImport(0).getDomain());
    assertEquals(17, m.getOpsetImport(0).getVersion());
    assertEquals("pixels", m.getGraph().getInput(0).getName());
    assertEquals("embedding", m.getGraph().getOutput(0).getName());
    var dims = m.getGraph().getInput(0).getType().getTensorType().getShape().getDimList();
    assertEquals("batch", dims.get(0).getDimParam());
    assertEquals(16, dims.get(3).getDimValue());
    for (TensorProto t : m.getGraph().getInitializerList()) {
      assertTrue(t.hasRawData(), t.getName());
    }
  }

  @Test
  void layerNormIsOneOperatorAndGeluIsOneFromOpset20() {
    var at17 = encoder(17).operators();
    assertTrue(at17.contains("LayerNormalization"), at17.toString());
    assertTrue(at17.contains("Erf"), at17.toString());
    assertFalse(at17.contains("Gelu"), at17.toString());
    assertFalse(at17.contains("ReduceMean"), at17.toString());
    var at20 = encoder(20).operators();
    assertTrue(at20.contains("Gelu"), at20.toString());
    assertFalse(at20.contains("Erf"), at20.toString());
  }

  @Test
  void weightsBeyondTheLimitGoToTheExternalDataFileAndRunAlike() throws Exception {
    Path inline = tmp.resolve("inline.onnx");
    Path external = tmp.resolve("ext").resolve("external.onnx");
    VitOnnx.OnnxModel model = encoder(17);
    OnnxFile.write(model, inline);
    OnnxFile.write(model, external, 0);
    Path data = external.resolveSibling("external.onnx.data");
    assertTrue(Files.size(data) > 4L * 32 * 32 * 2, "data file of " + Files.size(data));
    assertTrue(Files.size(external) < 64 * 1024, "model of " + Files.size(external));
    ModelProto m = ModelProto.parseFrom(Files.readAllBytes(external));
    TensorProto first = m.getGraph().getInitializer(0);
    assertEquals(TensorProto.DataLocation.EXTERNAL, first.getDataLocation());
    assertEquals("location", first.getExternalData(0).getKey());
    assertEquals("external.onnx.data", first.getExternalData(0).getValue());

    Engine.getEngine("OnnxRuntime");
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    float[] px = new float[2 * 3 * 16 * 16];
    SplittableRandom r = new SplittableRandom(1);
    for (int i = 0; i < px.length; i++) {
      px[i] = (float) r.nextGaussian();
    }
    float[][] a;
    float[][] b;
    try (OrtSession s1 = env.createSession(inline.toString());
        OrtSession s2 = env.createSession(external.toString());
        OnnxTensor x =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(px), new long[] {2, 3, 16, 16});
        OrtSession.Result r1 = s1.run(Map.of("pixels", x));
        OrtSession.Result r2 = s2.run(Map.of("pixels", x))) {
      a = (float[][]) r1.get(0).getValue();
      b = (float[][]) r2.get(0).getValue();
    }
    assertArrayEquals(a[0], b[0]);
    assertArrayEquals(a[1], b[1]);
  }
}
