package io.github.saimjava.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README's "Using the library" code is the consumer project's code (src/it/consumer, which the
 * build compiles and runs against the artifacts just built): each fenced block that README marks
 * with {@code <!-- file: PATH -->} (or {@code <!-- file: PATH#REGION -->}, the lines between {@code
 * README:REGION:start} and {@code README:REGION:end}) must equal that file (or region).
 */
class ReadmeSnippetsTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern MARKED =
      Pattern.compile(
          "<!-- file: ([^#\\s]+)(?:#(\\S+))? -->\\n```[a-z]*\\n(.*?)```", Pattern.DOTALL);

  @Test
  void everyMarkedSnippetIsTheFileItNames() throws Exception {
    String readme = Files.readString(ROOT.resolve("README.md"));
    Matcher m = MARKED.matcher(readme);
    List<String> checked = new ArrayList<>();
    while (m.find()) {
      String file = Files.readString(ROOT.resolve(m.group(1)));
      String expected = m.group(2) == null ? file : region(file, m.group(2), m.group(1));
      assertEquals(
          expected.stripIndent().strip(),
          m.group(3).strip(),
          "README's copy of " + m.group(0).lines().findFirst().orElseThrow());
      checked.add(m.group(1) + (m.group(2) == null ? "" : "#" + m.group(2)));
    }
    assertTrue(
        checked.containsAll(
            List.of(
                "examples/src/it/consumer/pom.xml#dependencies",
                "examples/src/it/consumer/src/main/java/com/example/PretrainAndEmbed.java",
                "examples/src/it/consumer/src/main/kotlin/com/example/PretrainAndEmbed.kt",
                "examples/src/it/consumer/src/main/java/com/example/ZooEncoders.java",
                "examples/src/it/consumer/src/main/java/com/example/OnnxEmbed.java#onnx",
                "examples/src/it/consumer/src/main/kotlin/com/example/OnnxEmbed.kt#onnx")),
        "checked " + checked);
  }

  private static String region(String text, String name, String file) {
    String start = "README:" + name + ":start";
    String end = "README:" + name + ":end";
    int a = text.indexOf(start);
    int b = text.indexOf(end);
    assertTrue(a >= 0 && b > a, file + " has no region " + name);
    int from = text.indexOf('\n', a) + 1;
    int to = text.lastIndexOf('\n', b);
    return text.substring(from, to);
  }
}
