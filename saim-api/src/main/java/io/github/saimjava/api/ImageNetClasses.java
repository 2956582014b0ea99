package io.github.saimjava.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The 1000 classes of ImageNet-1K (ILSVRC 2012) in class-index order: index {@code i} is the {@code
 * i}-th WordNet id in sorted order, which is the order the reference's {@code ImageFolder} gives
 * the class folders of ImageNet's train and val sets, and so the order of every ImageNet-1K
 * classifier head.
 *
 * <p>The names are torchvision's ({@code _IMAGENET_CATEGORIES}), the WordNet ids timm's ({@code
 * imagenet_synsets.txt}); both are public data, shipped as the resource {@code
 * imagenet1k_classes.tsv} ({@code wnid<TAB>name}, one class a line).
 */
public final class ImageNetClasses {
  /** Number of ImageNet-1K classes. */
  public static final int COUNT = 1000;

  private static final String RESOURCE = "imagenet1k_classes.tsv";
  private static final List<String> WNIDS;
  private static final List<String> NAMES;

  static {
    List<String> wnids = new ArrayList<>(COUNT);
    List<String> names = new ArrayList<>(COUNT);
    try (InputStream in = ImageNetClasses.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(
            "the resource " + RESOURCE + " is missing from the saim-api jar");
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        if (line.isEmpty()) {
          continue;
        }
        int tab = line.indexOf('\t');
        if (tab <= 0) {
          throw new IllegalStateException(
              RESOURCE + ": line " + (wnids.size() + 1) + " is not wnid<TAB>name");
        }
        wnids.add(line.substring(0, tab));
        names.add(line.substring(tab + 1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (wnids.size() != COUNT) {
      throw new IllegalStateException(
          RESOURCE + " holds " + wnids.size() + " classes, not " + COUNT);
    }
    WNIDS = List.copyOf(wnids);
    NAMES = List.copyOf(names);
  }

  private ImageNetClasses() {}

  /**
   * {@return the 1000 class names in class-index order (index 0 is "tench", 999 "toilet tissue")}
   */
  public static List<String> names() {
    return NAMES;
  }

  /**
   * {@return the 1000 WordNet ids in class-index order, which is sorted order (index 0 is
   * n01440764)}
   */
  public static List<String> wordNetIds() {
    return WNIDS;
  }
}
