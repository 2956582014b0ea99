package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The code of README.md and of the documentation pages (docs/*.md) is code the build compiles:
 * every fenced Java or Kotlin block is preceded by a marker {@code <!-- file: PATH -->} (the whole
 * file) or {@code <!-- file: PATH#REGION -->} (the lines between {@code README:REGION:start} and
 * {@code README:REGION:end} in that file), and every marked block (of any language) equals what it
 * names. The files named are the consumer project's (src/it/consumer, which the build compiles and
 * runs against the artifacts just built) and tests that compile, and mostly run, the snippets.
 */
class ReadmeSnippetsTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern MARKER = Pattern.compile("<!-- file: ([^#\\s]+)(?:#(\\S+))? -->");
  private static final Pattern FENCE = Pattern.compile("^```([a-z]*)\\s*$");

  @Test
  void everyJavaAndKotlinBlockIsMarkedAndEveryMarkedBlockIsTheFileItNames() throws Exception {
    List<String> problems = new ArrayList<>();
    List<String> checked = new ArrayList<>();
    for (Path page : pages()) {
      check(page, problems, checked);
    }
    assertEquals(List.of(), problems, "problems in README.md or docs/*.md");
    assertTrue(
        checked.containsAll(
            List.of(
                "examples/src/it/consumer/pom.xml#dependencies",
                "examples/src/it/consumer/pom.xml#kotlin-build",
                "examples/src/it/consumer/src/main/java/com/example/PretrainAndEmbed.java",
                "examples/src/it/consumer/src/main/java/com/example/PretrainAndEmbed.java#quickstart",
                "examples/src/it/consumer/src/main/kotlin/com/example/PretrainAndEmbed.kt",
                "examples/src/it/consumer/src/main/kotlin/com/example/PretrainAndEmbed.kt"
                    + "#quickstart-kotlin",
                "examples/src/it/consumer/src/main/java/com/example/ZooEncoders.java",
                "examples/src/it/consumer/src/main/java/com/example/OnnxEmbed.java#onnx",
                "examples/src/it/consumer/src/main/kotlin/com/example/OnnxEmbed.kt#onnx")),
        "checked " + checked);
  }

  /** README.md and every Markdown page under docs/. */
  static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>();
    pages.add(ROOT.resolve("README.md"));
    try (Stream<Path> docs = Files.walk(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  private static void check(Path page, List<String> problems, List<String> checked)
      throws IOException {
    List<String> lines = Files.readAllLines(page);
    String name = ROOT.relativize(page).toString();
    for (int i = 0; i < lines.size(); i++) {
      Matcher open = FENCE.matcher(lines.get(i));
      if (!open.matches()) {
        continue;
      }
      int close = i + 1;
      while (close < lines.size() && !lines.get(close).startsWith("```")) {
        close++;
      }
      String language = open.group(1);
      String body = String.join("\n", lines.subList(i + 1, Math.min(close, lines.size())));
      Matcher marker = i > 0 ? MARKER.matcher(lines.get(i - 1).strip()) : null;
      if (marker != null && marker.matches()) {
        Path source = ROOT.resolve(marker.group(1));
        if (!Files.isRegularFile(source)) {
          problems.add(
              name + ":" + (i + 1) + ": names " + marker.group(1) + ", which does not exist");
        } else {
          String file = Files.readString(source);
          String expected = marker.group(2) == null ? file : region(file, marker.group(2));
          if (expected == null) {
            problems.add(
                name
                    + ":"
                    + (i + 1)
                    + ": "
                    + marker.group(1)
                    + " has no region "
                    + marker.group(2));
          } else if (!expected.stripIndent().strip().equals(body.strip())) {
            problems.add(
                name
                    + ":"
                    + (i + 1)
                    + ": the block differs from "
                    + marker.group(1)
                    + (marker.group(2) == null ? "" : "#" + marker.group(2))
                    + "; it should read:\n"
                    + expected.stripIndent().strip());
          }
          checked.add(marker.group(1) + (marker.group(2) == null ? "" : "#" + marker.group(2)));
        }
      } else if (language.equals("java") || language.equals("kotlin")) {
        problems.add(
            name
                + ":"
                + (i + 1)
                + ": a "
                + language
                + " block without a <!-- file: PATH#REGION --> marker naming the code that compiles"
                + " it");
      }
      i = close;
    }
  }

  private static @Nullable String region(String text, String name) {
    String start = "README:" + name + ":start";
    String end = "README:" + name + ":end";
    int a = text.indexOf(start);
    int b = text.indexOf(end);
    if (a < 0 || b < a) {
      return null;
    }
    int from = text.indexOf('\n', a) + 1;
    int to = text.lastIndexOf('\n', b);
    return text.substring(from, to);
  }
}
