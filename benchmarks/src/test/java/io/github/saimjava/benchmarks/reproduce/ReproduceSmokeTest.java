package io.github.saimjava.benchmarks.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code reproduce --quick} end to end. Checks the table's structure and that its numbers are
 * accuracies, never their order: the quick budget says nothing about the method.
 */
class ReproduceSmokeTest {
  record Result(int exitCode, String out, String err) {}

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = ReproduceCommand.newCommandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return new Result(cl.execute(args), out.toString(), err.toString());
  }

  @Test
  void quickRunWritesATableOfAccuraciesAndReusesItsStages(@TempDir Path tmp) throws Exception {
    Path runDir = tmp.resolve("run");
    Path results = tmp.resolve("results");
    Result r =
        run(
            "--quick",
            "--output",
            runDir.toString(),
            "--results",
            results.toString(),
            "--threads",
            "1");
    assertEquals(0, r.exitCode(), r.err());

    String md = Files.readString(results.resolve("fmnist-small-quick.md"));
    assertTrue(md.contains(ResultTable.HEADER), md);
    assertTrue(
        md.contains("- command: `java " + ReproduceCommand.class.getName() + " --quick --output "),
        md);
    assertTrue(md.contains("- machine: "), md);
    assertTrue(md.contains("- test set: "), md);
    List<String[]> rows = rows(md);
    assertEquals(
        List.of(
            "raw pixels (the floor)",
            "random init (no pre-training)",
            "raster order (iGPT-style)",
            "stochastic order (SAIM)"),
        rows.stream().map(c -> c[0]).toList());
    for (String[] c : rows) {
      assertEquals("1 of 1", c[1], String.join("|", c));
      double top1 = Double.parseDouble(c[2].replace(" (one seed)", ""));
      assertTrue(top1 >= 0 && top1 <= 100, "top-1 " + top1);
      assertEquals(String.format(java.util.Locale.ROOT, "0: %.2f", top1), c[3]);
      double top5 = Double.parseDouble(c[4]);
      assertTrue(top5 >= top1 && top5 <= 100, "top-5 " + top5 + " vs top-1 " + top1);
      if (c[0].startsWith("raw pixels")) {
        assertEquals("—", c[5]);
      } else {
        double fineTune = Double.parseDouble(c[5].replace(" (one seed)", ""));
        assertTrue(fineTune >= 0 && fineTune <= 100, "fine-tune top-1 " + fineTune);
      }
    }
    JsonObject json =
        JsonParser.parseString(Files.readString(results.resolve("fmnist-small-quick.json")))
            .getAsJsonObject();
    assertEquals(3, json.getAsJsonArray("encoders").size());
    for (var e : json.getAsJsonArray("encoders")) {
      JsonObject o = e.getAsJsonObject();
      double top1 = o.getAsJsonObject("linear_probe").get("top1").getAsDouble();
      assertTrue(md.contains(String.format(java.util.Locale.ROOT, "0: %.2f", top1)), o.toString());
      double fineTune = o.getAsJsonObject("fine_tune").get("top1").getAsDouble();
      assertTrue(fineTune >= 0 && fineTune <= 100, o.toString());
      assertEquals(1, o.getAsJsonObject("fine_tune").get("epochs").getAsInt());
      if (!o.get("variant").getAsString().equals("random")) {
        JsonObject p = o.getAsJsonObject("pretraining");
        assertEquals(p.get("total_steps").getAsLong(), p.get("steps").getAsLong());
        assertEquals(8, p.get("total_steps").getAsLong()); // 256 images / batch 32, one epoch
      }
    }

    // every stage is cached: a report-only rerun finds the same numbers without computing anything
    Path notes = Files.writeString(tmp.resolve("notes.txt"), "first note\n\n  second note  \n");
    Result again =
        run(
            "--quick",
            "--output",
            runDir.toString(),
            "--results",
            tmp.resolve("again").toString(),
            "--report-only",
            "--notes-file",
            notes.toString());
    assertEquals(0, again.exitCode(), again.err());
    assertTrue(
        Files.readString(tmp.resolve("again/fmnist-small-quick.md"))
            .endsWith("## Notes\n\n- first note\n- second note\n"));
    assertEquals(
        rows(md).stream().map(c -> c[2] + c[5]).toList(),
        rows(Files.readString(tmp.resolve("again/fmnist-small-quick.md"))).stream()
            .map(c -> c[2] + c[5])
            .toList());

    // a cached pre-training run of another budget is refused, naming the run
    Result other =
        run(
            "--quick",
            "--epochs",
            "2",
            "--output",
            runDir.toString(),
            "--results",
            tmp.resolve("other").toString(),
            "--threads",
            "1");
    assertEquals(2, other.exitCode(), other.out());
    assertTrue(other.err().contains("raster-seed0") && other.err().contains("epochs"), other.err());
  }

  /** The cells of the table's data rows. */
  static List<String[]> rows(String md) {
    List<String[]> out = new ArrayList<>();
    boolean inTable = false;
    for (String line : md.split("\n")) {
      if (line.equals(ResultTable.HEADER)) {
        inTable = true;
      } else if (inTable && line.startsWith("|---")) {
        continue;
      } else if (inTable && line.startsWith("| ")) {
        String[] cells = line.substring(2, line.length() - 2).split(" \\| ");
        assertEquals(8, cells.length, line);
        out.add(cells);
      } else if (inTable) {
        break;
      }
    }
    return out;
  }
}
