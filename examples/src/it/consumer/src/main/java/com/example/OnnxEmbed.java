package com.example;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.github.saimjava.api.SaimEncoder;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;

/** An encoder exported to ONNX, then run by ONNX Runtime alone (no PyTorch needed there). */
public class OnnxEmbed {
  public static void main(String[] args) throws Exception {
    Path model = Path.of("encoder.onnx");
    // README:onnx:start
    // 1. where saim-impl runs: export (or `saim export --zoo NAME --output encoder.onnx`)
    try (SaimEncoder encoder =
        SaimEncoder.builder().zoo("saim_vit_micro_patch4_32_fmnist").build()) {
      encoder.exportOnnx(model);
    }

    // 2. anywhere: ONNX Runtime only (com.microsoft.onnxruntime:onnxruntime)
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(model.toString())) {
      Map<String, String> meta = session.getMetadata().getCustomMetadata();
      int size = Integer.parseInt(meta.get("saim.image_size"));
      String[] mean = meta.get("saim.mean").split(",");
      String[] std = meta.get("saim.std").split(",");
      // preprocessing (here simplified: a bicubic resize to the model's size, no crop), then
      // (v / 255 - mean) / std per channel, channels first
      BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = img.createGraphics();
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
      g.drawImage(ImageIO.read(new File("images/0000-ankle-boot.png")), 0, 0, size, size, null);
      g.dispose();
      float[] pixels = new float[3 * size * size];
      for (int c = 0; c < 3; c++) {
        for (int y = 0; y < size; y++) {
          for (int x = 0; x < size; x++) {
            int v = (img.getRGB(x, y) >> (16 - 8 * c)) & 0xff;
            pixels[(c * size + y) * size + x] =
                (v / 255f - Float.parseFloat(mean[c])) / Float.parseFloat(std[c]);
          }
        }
      }
      try (OnnxTensor input =
              OnnxTensor.createTensor(
                  env, FloatBuffer.wrap(pixels), new long[] {1, 3, size, size});
          OrtSession.Result result = session.run(Map.of("pixels", input))) {
        float[][] vectors = (float[][]) result.get("embedding").orElseThrow().getValue();
        System.out.println("onnx: a vector of " + vectors[0].length + " numbers");
      }
    }
    // README:onnx:end
  }
}
