package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every command that reads a folder reads it by the same rules ({@code ImageFiles}): the same
 * tests, on the same folder, against {@code embed}, {@code classify}, {@code evaluate} and {@code
 * pretrain} (saim-spark's {@code SaimSparkTest} runs them against the Spark job).
 */
class FolderRulesTest {
  static final Path TINY = ClassifyCommandTest.FIXTURES.resolve("tiny");

  /**
   * Ten class folders of one image each (the tiny classifier's ten classes), and in {@code c0}: a
   * link to {@code c1}'s image (counts), a text file, a hidden image and a hidden folder's image
   * (do not count), and a zero-byte {@code empty.jpg} (counts, and is a bad image).
   */
  static Path folder(Path dir) throws Exception {
    Path root = dir.resolve("data");
    for (int c = 0; c < 10; c++) {
      Files.copy(
          TINY.resolve("images/img0_40x48_RGB.png"),
          Files.createDirectories(root.resolve("c" + c)).resolve("img.png"));
    }
    Path c0 = root.resolve("c0");
    Files.createSymbolicLink(c0.resolve("link.png"), Path.of("../c1/img.png"));
    Files.writeString(c0.resolve("notes.txt"), "not an image");
    Files.copy(c0.resolve("img.png"), c0.resolve(".hidden.png"));
    Files.copy(
        c0.resolve("img.png"), Files.createDirectories(c0.resolve(".cache")).resolve("x.png"));
    Files.createFile(c0.resolve("empty.jpg"));
    return root;
  }

  /** The command line of {@code command} reading {@code data}, writing under {@code out}. */
  static List<String> command(String command, Path data, Path out, String... extra) {
    List<String> a = new ArrayList<>();
    switch (command) {
      case "embed" ->
          a.addAll(List.of(EmbedCommandTest.args(data, out.resolve("e.safetensors"), "4")));
      case "classify", "evaluate" -> {
        a.addAll(List.of(command, "--checkpoint", TINY.resolve("finetune.pth").toString()));
        a.addAll(ClassifyCommandTest.archFlags(meta()));
        a.addAll(List.of("--data", data.toString()));
      }
      case "pretrain" -> {
        String[] tiny = PretrainCommandTest.TINY;
        for (int i = 0; i < tiny.length; i++) {
          // one step of all twelve images
          a.add(i > 0 && tiny[i - 1].equals("--batch-size") ? "12" : tiny[i]);
        }
        a.addAll(List.of("--data", data.toString(), "--output", out.resolve("run").toString()));
      }
      default -> throw new IllegalArgumentException(command);
    }
    a.addAll(List.of(extra));
    return a;
  }

  static JsonObject meta() {
    try {
      return ClassifyCommandTest.meta(TINY);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static CliTestSupport.Result run(List<String> args) {
    return CliTestSupport.run(args.toArray(String[]::new));
  }

  @ParameterizedTest
  @ValueSource(strings = {"embed", "classify", "evaluate", "pretrain"})
  void aLinkLoopIsOneLineNamingTheLink(String command, @TempDir Path dir) throws Exception {
    Path data = folder(dir);
    Files.delete(data.resolve("c0/empty.jpg"));
    Path up =
        Files.createSymbolicLink(
            Files.createDirectories(data.resolve("c0/sub")).resolve("up"), Path.of(".."));
    CliTestSupport.Result r = run(command(command, data, dir));
    assertEquals(2, r.exitCode(), r.out() + r.err());
    assertEquals(
        "saim: error: "
            + up
            + ": a link that leads back to a folder it is in (-> ..), which would list the same"
            + " images without end; remove the link",
        r.err().strip());
  }

  @ParameterizedTest
  @ValueSource(strings = {"embed", "classify", "evaluate", "pretrain"})
  void aZeroByteImageIsABadImageNamedInOneLine(String command, @TempDir Path dir) throws Exception {
    Path data = folder(dir);
    CliTestSupport.Result r = run(command(command, data, dir));
    assertEquals(2, r.exitCode(), r.out() + r.err());
    List<String> lines = r.err().strip().lines().toList();
    assertEquals(1, lines.size(), r.err());
    assertTrue(lines.get(0).contains(data.resolve("c0/empty.jpg").toString()), r.err());
  }

  @Test
  void embedListsTheFilesThatCountSortedAndPretrainCountsTheSkippedOne(@TempDir Path dir)
      throws Exception {
    Path data = folder(dir);
    CliTestSupport.Result p = run(command("pretrain", data, dir, "--skip-bad-images"));
    assertEquals(0, p.exitCode(), p.err());
    Path run = dir.resolve("run");
    JsonObject config =
        JsonParser.parseString(Files.readString(run.resolve("config.json"))).getAsJsonObject();
    assertEquals(12, config.getAsJsonObject("training").get("dataset_size").getAsInt());
    String epoch =
        Files.readAllLines(run.resolve("metrics.jsonl")).stream()
            .filter(l -> l.contains("\"type\":\"epoch\""))
            .findFirst()
            .orElseThrow();
    assertTrue(epoch.endsWith("\"skipped_images\":1}"), epoch);

    Files.delete(data.resolve("c0/empty.jpg"));
    CliTestSupport.Result e = run(command("embed", data, dir));
    assertEquals(0, e.exitCode(), e.err());
    List<String> want = new ArrayList<>();
    want.add(data.resolve("c0/img.png").toString());
    want.add(data.resolve("c0/link.png").toString());
    for (int c = 1; c < 10; c++) {
      want.add(data.resolve("c" + c + "/img.png").toString());
    }
    assertEquals(want, Files.readAllLines(dir.resolve("e.safetensors.paths.txt")));
  }

  /**
   * A plain folder of images (no class sub-folders) is read by the commands that use no labels, as
   * {@code pretrain} and {@code embed} read it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"visualize", "loss-by-position", "embed", "pretrain"})
  void aPlainFolderOfImagesIsReadWithoutClassSubFolders(String command, @TempDir Path dir)
      throws Exception {
    Path data = Files.createDirectories(dir.resolve("plain"));
    for (int i = 0; i < 12; i++) {
      Files.copy(TINY.resolve("images/img0_40x48_RGB.png"), data.resolve("img" + i + ".png"));
    }
    List<String> args =
        switch (command) {
          case "visualize", "loss-by-position" ->
              new ArrayList<>(
                  List.of(
                      CliTestSupport.args(
                          command,
                          CliTestSupport.RANDOM_TINY_16,
                          "--images",
                          "4",
                          "--threads",
                          "1",
                          "--data",
                          data.toString(),
                          "--output",
                          dir.resolve("out").toString())));
          default -> command(command, data, dir);
        };
    CliTestSupport.Result r = run(args);
    assertEquals(0, r.exitCode(), r.out() + r.err());
  }

  @ParameterizedTest
  @ValueSource(strings = {"visualize", "loss-by-position", "pretrain"})
  void aMissingFolderOfUnlabelledImagesAsksForNoClassSubFolders(String command, @TempDir Path dir)
      throws Exception {
    Path missing = dir.resolve("nope");
    List<String> args =
        command.equals("pretrain")
            ? command(command, missing, dir)
            : List.of(
                CliTestSupport.args(
                    command,
                    CliTestSupport.RANDOM_TINY_16,
                    "--data",
                    missing.toString(),
                    "--output",
                    dir.resolve("out").toString()));
    CliTestSupport.Result r = run(args);
    assertEquals(2, r.exitCode(), r.out() + r.err());
    assertEquals(
        "saim: error: "
            + missing
            + ": no such file or folder (expected a folder of .jpg, .jpeg or .png images, at any"
            + " depth, or an IDX images file such as train-images-idx3-ubyte.gz)",
        r.err().strip());
  }

  /** A bad image that stops pre-training names the way out: the option that skips it. */
  @Test
  void aBadImageStoppingPretrainingNamesSkipBadImages(@TempDir Path dir) throws Exception {
    Path data = folder(dir);
    CliTestSupport.Result r = run(command("pretrain", data, dir));
    assertEquals(2, r.exitCode(), r.out() + r.err());
    String line = r.err().strip();
    assertTrue(line.contains(data.resolve("c0/empty.jpg").toString()), line);
    assertTrue(
        line.endsWith(
            "; to skip undecodable images and go on (each is counted in metrics.jsonl), add"
                + " --skip-bad-images"),
        line);
  }
}
