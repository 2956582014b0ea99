package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The help of {@code saim} and of every sub-command reads whole: no word broken across lines, at
 * the width of a terminal and of the CLI reference page, and no sentence cut short.
 */
class HelpTextTest {
  /** Every command once (aliases and the help command's own entry left aside), by name. */
  private static Map<String, CommandLine> commands() {
    Map<String, CommandLine> all = new LinkedHashMap<>();
    collect(SaimCommand.newCommandLine(), all);
    return all;
  }

  private static void collect(CommandLine cl, Map<String, CommandLine> all) {
    all.putIfAbsent(cl.getCommandSpec().qualifiedName(" "), cl);
    cl.getSubcommands()
        .forEach(
            (key, sub) -> {
              if (key.equals(sub.getCommandSpec().name())) {
                collect(sub, all);
              }
            });
  }

  private static String usage(CommandLine cl, int width) {
    cl.setUsageHelpAutoWidth(false);
    cl.setUsageHelpWidth(width);
    return cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
  }

  private static Set<String> words(String text) {
    return new HashSet<>(Arrays.asList(text.trim().split("\\s+")));
  }

  @Test
  void noWordIsBrokenAcrossLinesAndNoLineRunsPastTheWidth() {
    List<String> broken = new ArrayList<>();
    for (Map.Entry<String, CommandLine> c : commands().entrySet()) {
      Set<String> whole = words(usage(c.getValue(), WholeWordHelp.UNWRAPPED));
      for (int width : new int[] {80, CliReference.WIDTH}) {
        String text = usage(c.getValue(), width);
        for (String w : words(text)) {
          if (!whole.contains(w)) {
            broken.add(c.getKey() + " at " + width + " columns: '" + w + "'");
          }
        }
        for (String line : text.split("\n")) {
          if (line.length() > width && line.strip().contains(" ")) {
            broken.add(c.getKey() + " at " + width + " columns, too long: " + line);
          }
        }
      }
    }
    assertEquals(List.of(), broken);
  }

  /** A description ends its sentence: a full stop, possibly inside a closing bracket. */
  private static boolean whole(String sentence) {
    String s = sentence.strip();
    s = s.endsWith("%n") ? s.substring(0, s.length() - 2) : s;
    return s.endsWith(".") || s.endsWith(".)") || s.endsWith("?");
  }

  @Test
  void everyDescriptionIsWholeSentences() {
    List<String> cut = new ArrayList<>();
    for (Map.Entry<String, CommandLine> c : commands().entrySet()) {
      CommandSpec spec = c.getValue().getCommandSpec();
      String[] description = spec.usageMessage().description();
      // the first line is the command's summary in its parent's list of commands (unless a header)
      if (spec.usageMessage().header().length == 0
          && (description.length == 0 || !whole(description[0]))) {
        cut.add(c.getKey() + ": summary " + Arrays.toString(description));
      }
      for (String d : description) {
        if (!whole(d)) {
          cut.add(c.getKey() + ": " + d);
        }
      }
      for (OptionSpec o : spec.options()) {
        String[] od = o.description();
        if (od.length == 0 || !whole(od[od.length - 1])) {
          cut.add(c.getKey() + " " + o.longestName() + ": " + Arrays.toString(od));
        }
      }
    }
    assertEquals(List.of(), cut);
  }

  @Test
  void theCommandListShowsEachSummaryWhole() {
    for (CommandLine cl : commands().values()) {
      String help = usage(cl, 80).replaceAll("\\s+", " ");
      cl.getSubcommands()
          .forEach(
              (name, sub) -> {
                CommandLine.Model.UsageMessageSpec u = sub.getCommandSpec().usageMessage();
                String summary =
                    (u.header().length > 0 ? u.header()[0] : u.description()[0])
                        .replaceAll("\\s+", " ");
                assertTrue(help.contains(" " + summary), name + ": " + summary + " in " + help);
              });
    }
  }

  @Test
  void wrappingKeepsTheRowsColumnsAndIndentsContinuations() {
    String row = "      --data=PATH            Image folder or IDX images file.";
    assertEquals(
        "      --data=PATH            Image folder or IDX\n"
            + "                               images file.",
        WholeWordHelp.wrapLines(row, 50, 0, -1));
    assertEquals(
        "saim x [--a]\n       [--rendezvous=tcp://HOST:PORT]",
        WholeWordHelp.wrapLines("saim x [--a] [--rendezvous=tcp://HOST:PORT]", 20, 0, 7));
  }
}
