package io.github.saimjava.cli;

import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.data.Transforms;
import io.github.saimjava.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The files beside {@code model.onnx} that make a folder a model DJL Serving loads as it is: {@code
 * serving.properties} (engine OnnxRuntime and the settings of DJL's own image translator, so the
 * server needs no code of ours) and, for a classifier, {@code synset.txt} (the labels).
 *
 * <p>DJL's translator resizes the shorter side to {@code saim.resize} with its engine's bicubic
 * filter and centre-crops, then normalises with the ImageNet constants: the evaluation transform of
 * this library, up to the resampling filter (Pillow's antialiased bicubic here, the engine's
 * bicubic there), so probabilities may differ slightly from {@code saim classify}'s. An encoder's
 * images no larger than the model's input are resized too, where {@code saim embed} pads them.
 */
final class DjlServingFolder {
  private DjlServingFolder() {}

  static void write(Path dir, SaimConfig config, boolean classifier, List<String> labels)
      throws IOException {
    if (config.channels() != 3) {
      throw new IllegalArgumentException(
          "a DJL Serving folder needs a model of 3 channels (DJL's image translator normalises"
              + " RGB), this one has "
              + config.channels());
    }
    int size = config.imageSize();
    StringBuilder p = new StringBuilder();
    p.append(
        "# written by saim export --format djl-serving; DJL reads it as the model's settings\n");
    p.append("engine=OnnxRuntime\n");
    p.append(
        classifier
            ? "translatorFactory=ai.djl.modality.cv.translator.ImageClassificationTranslatorFactory\n"
            : "translatorFactory=ai.djl.modality.cv.translator.ImageFeatureExtractorFactory\n");
    p.append("width=").append(size).append('\n');
    p.append("height=").append(size).append('\n');
    // the shorter side to floor(size / 0.875), as the evaluation transform
    p.append(
        String.format(
            Locale.ROOT, "resizeShort=%d,-1,BICUBIC%n", (int) (size / Transforms.CROP_FRACTION)));
    p.append("centerCrop=true\n");
    List<Float> n = new ArrayList<>(Transforms.IMAGENET_MEAN);
    n.addAll(Transforms.IMAGENET_STD);
    p.append("normalize=")
        .append(n.stream().map(String::valueOf).collect(Collectors.joining(",")))
        .append('\n');
    if (classifier) {
      p.append("synsetFileName=synset.txt\n");
      p.append("applySoftmax=true\n");
      p.append("topK=5\n");
      AtomicFiles.write(
          dir.resolve("synset.txt"),
          (String.join("\n", labels) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    AtomicFiles.write(
        dir.resolve("serving.properties"), p.toString().getBytes(StandardCharsets.UTF_8));
  }
}
