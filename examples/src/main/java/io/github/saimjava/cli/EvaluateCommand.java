package io.github.saimjava.cli;

import io.github.saimjava.api.ImageNetClasses;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.data.ImageFolderDataset;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code saim evaluate}: top-1 / top-5 accuracy of a classifier on a labelled image folder. */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Measures a classifier's top-1 and top-5 accuracy on a labelled folder.",
      "--data is an ImageFolder: one sub-folder per class. Folders named by ImageNet WordNet id",
      "(n01440764, ...) are labelled by that id's ImageNet-1K class index when the head has 1000",
      "classes (so a subset of the classes works too); otherwise the sorted folders are the class",
      "indices 0..K-1 and there must be one per class of the head. Prints a progress bar on stderr",
      "and finishes with the line 'top-1 <percent> top-5 <percent>'."
    })
final class EvaluateCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Mixin ClassifierSource source = new ClassifierSource();

  @Option(
      names = "--data",
      paramLabel = "VAL_DIR",
      required = true,
      description = "Labelled folder: VAL_DIR/<class>/<image>.")
  Path data;

  @Override
  public Integer call() throws Exception {
    ImageFolderDataset val = ImageFolderDataset.open(data);
    PrintWriter out = spec.commandLine().getOut();
    try (SaimClassifier c = source.builder(5).build()) {
      c.loadNotes().forEach(n -> out.println("note: " + n));
      int[] classOf = classIndices(val.classes(), c.numClasses(), data);
      List<Path> files = val.files();
      int[] labels = new int[files.size()];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = classOf[val.label(i)];
      }
      ProgressBar bar = new ProgressBar(System.err, System.console() != null, 1000);
      long top1 = 0;
      long top5 = 0;
      int step = source.batchSize;
      long start = System.nanoTime();
      for (int i = 0; i < files.size(); i += step) {
        int end = Math.min(files.size(), i + step);
        float[][] z = c.logitsOfFiles(files.subList(i, end));
        for (int r = 0; r < z.length; r++) {
          int rank = rank(z[r], labels[i + r]);
          top1 += rank == 0 ? 1 : 0;
          top5 += rank < 5 ? 1 : 0;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        bar.onImages(end, files.size(), seconds > 0 ? end / seconds : 0);
      }
      out.printf(
          Locale.ROOT,
          "%d images, %d classes in %s, head of %d classes (%s)%n",
          files.size(),
          val.classes().size(),
          data,
          c.numClasses(),
          source.describe());
      out.printf(
          Locale.ROOT,
          "top-1 %.2f top-5 %.2f%n",
          100.0 * top1 / files.size(),
          100.0 * top5 / files.size());
    }
    out.flush();
    return 0;
  }

  /** How many classes score above {@code label} (ties: a lower index counts as above). */
  static int rank(float[] z, int label) {
    int above = 0;
    for (int j = 0; j < z.length; j++) {
      if (z[j] > z[label] || (z[j] == z[label] && j < label)) {
        above++;
      }
    }
    return above;
  }

  /**
   * The head's class index of each folder: by ImageNet WordNet id when every folder is one and the
   * head has 1000 classes, else the folder's position, which needs one folder per class.
   */
  static int[] classIndices(List<String> folders, int numClasses, Path data) {
    int[] out = new int[folders.size()];
    if (numClasses == ImageNetClasses.COUNT) {
      Map<String, Integer> byId = new HashMap<>();
      List<String> ids = ImageNetClasses.wordNetIds();
      for (int i = 0; i < ids.size(); i++) {
        byId.put(ids.get(i), i);
      }
      if (folders.stream().allMatch(byId::containsKey)) {
        for (int i = 0; i < out.length; i++) {
          out[i] = Objects.requireNonNull(byId.get(folders.get(i))); // all are keys, see above
        }
        return out;
      }
    }
    if (folders.size() != numClasses) {
      throw new IllegalArgumentException(
          data
              + " has "
              + folders.size()
              + " class folders but the head has "
              + numClasses
              + " classes"
              + (numClasses == ImageNetClasses.COUNT
                  ? " (and not every folder is named by an ImageNet WordNet id such as n01440764)"
                  : ""));
    }
    for (int i = 0; i < out.length; i++) {
      out[i] = i;
    }
    return out;
  }
}
