package io.github.saimjava.examples;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import io.github.saimjava.api.SaimClassifier;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * ImageNet labels from the paper's fine-tuned SAIM ViT-B/16 ({@code
 * saim_vit_base_patch16_224_in1k_ft}, 83.9% top-1 reported; {@code --linear-probe} takes the
 * linear-probed {@code _in1k_lin}, 62.5%), first through {@link SaimClassifier}, then the same
 * model through DJL's {@link Criteria}, with timings. The first run downloads the authors'
 * checkpoint (about 350 MB) into the zoo's cache; without a network, download it by hand and import
 * it with {@code saim zoo pull NAME --from FILE}.
 *
 * <pre>
 * java -cp examples/target/saim.jar io.github.saimjava.examples.ClassifyImages \
 *     [--linear-probe] IMAGE...
 * </pre>
 *
 * <p>Uses only saim-api and DJL's API (saim-impl and saim-zoo at run time).
 */
public final class ClassifyImages {
  /** The fine-tuned classifier of the zoo. */
  public static final String FINE_TUNED = "saim_vit_base_patch16_224_in1k_ft";

  /** The linear-probed classifier of the zoo. */
  public static final String LINEAR_PROBE = "saim_vit_base_patch16_224_in1k_lin";

  private ClassifyImages() {}

  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(List.of(args));
    String model = rest.remove("--linear-probe") ? LINEAR_PROBE : FINE_TUNED;
    if (rest.isEmpty() || rest.stream().anyMatch(a -> a.startsWith("-"))) {
      System.err.println("usage: ClassifyImages [--linear-probe] IMAGE...");
      System.exit(2);
    }
    classify(model, rest.stream().map(Path::of).toList(), System.out);
  }

  /**
   * Prints the top 5 ImageNet classes of each image with {@code model}, by {@link SaimClassifier}
   * and then by the DJL predictor of the same zoo artifact, and returns the first route's answers.
   */
  public static List<List<SaimClassifier.Prediction>> classify(
      String model, List<Path> images, PrintStream out) throws Exception {
    long t0 = System.nanoTime();
    List<List<SaimClassifier.Prediction>> answers;
    try (SaimClassifier classifier = SaimClassifier.builder().zoo(model).topK(5).build()) {
      long t1 = System.nanoTime();
      answers = classifier.classifyFiles(images);
      long t2 = System.nanoTime();
      for (int i = 0; i < images.size(); i++) {
        out.println(images.get(i));
        for (SaimClassifier.Prediction p : answers.get(i)) {
          out.printf(Locale.ROOT, "  %6.2f%%  %s%n", 100 * p.probability(), p.label());
        }
      }
      out.printf(
          Locale.ROOT,
          "SaimClassifier: load %.0f ms, %d image(s) in %.0f ms%n",
          (t1 - t0) / 1e6,
          images.size(),
          (t2 - t1) / 1e6);
    }
    // The same artifact as a DJL model: what code written against DJL's inference API uses.
    Criteria<Image, Classifications> criteria =
        Criteria.builder()
            .setTypes(Image.class, Classifications.class)
            .optGroupId("io.github.saimjava")
            .optArtifactId(model)
            .build();
    long t3 = System.nanoTime();
    try (ZooModel<Image, Classifications> djl = criteria.loadModel();
        Predictor<Image, Classifications> predictor = djl.newPredictor()) {
      long t4 = System.nanoTime();
      for (Path file : images) {
        Classifications.Classification best =
            predictor.predict(ImageFactory.getInstance().fromFile(file)).best();
        out.printf(
            Locale.ROOT,
            "DJL predictor: %s -> %s (%.2f%%)%n",
            file.getFileName(),
            best.getClassName(),
            100 * best.getProbability());
      }
      out.printf(
          Locale.ROOT,
          "DJL route: load %.0f ms, %d image(s) in %.0f ms%n",
          (t4 - t3) / 1e6,
          images.size(),
          (System.nanoTime() - t4) / 1e6);
    }
    return answers;
  }
}
