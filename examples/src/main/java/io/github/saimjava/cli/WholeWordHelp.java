package io.github.saimjava.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * Usage help that breaks lines at spaces only. picocli wraps with the JDK's line {@link
 * java.text.BreakIterator}, which also breaks after a dot, a colon or a slash ({@code order.} /
 * {@code png}, {@code tcp:} / {@code //HOST}); here each help section is laid out by picocli on one
 * unlimited line per row, then wrapped at spaces to the usage width, continuation lines indented as
 * picocli indents them (two columns into a row's description; under the first option in the
 * synopsis). Description lines are joined into paragraphs first ({@link #paragraphs}).
 */
final class WholeWordHelp {
  /** The columns picocli lays a section out in before it is wrapped here: it then wraps nothing. */
  static final int UNWRAPPED = 100_000;

  private WholeWordHelp() {}

  /** Makes {@code cl} and all its sub-commands break their usage help at spaces only. */
  static void apply(CommandLine cl) {
    apply(cl, Collections.newSetFromMap(new IdentityHashMap<>()));
  }

  private static void apply(CommandLine cl, Set<CommandLine.Model.CommandSpec> done) {
    if (!done.add(cl.getCommandSpec())) {
      return; // an alias of a command already done
    }
    UsageMessageSpec usage = cl.getCommandSpec().usageMessage();
    usage.description(paragraphs(usage.description()));
    Map<String, CommandLine.IHelpSectionRenderer> sections = new LinkedHashMap<>();
    usage
        .sectionMap()
        .forEach(
            (key, picocli) -> {
              boolean synopsis = key.equals(UsageMessageSpec.SECTION_KEY_SYNOPSIS);
              sections.put(key, help -> render(picocli, help, synopsis));
            });
    usage.sectionMap(sections);
    cl.getSubcommands().values().forEach(sub -> apply(sub, done));
  }

  /**
   * The lines of a command's description as paragraphs: a line that does not end its sentence (with
   * {@code .}, {@code ?} or {@code .)}, or a line break {@code %n}) goes on with the next, so the
   * source may break lines anywhere and the help is still wrapped whole. The first paragraph is the
   * command's summary in its parent's list of commands.
   */
  static String[] paragraphs(String[] lines) {
    List<String> out = new ArrayList<>();
    StringBuilder p = new StringBuilder();
    for (String line : lines) {
      if (p.length() > 0) {
        p.append(' ');
      }
      p.append(line.strip());
      String s = p.toString();
      if (s.endsWith(".") || s.endsWith("?") || s.endsWith(".)") || s.endsWith("%n")) {
        out.add(s);
        p.setLength(0);
      }
    }
    if (p.length() > 0) {
      out.add(p.toString());
    }
    return out.toArray(String[]::new);
  }

  private static String render(
      CommandLine.IHelpSectionRenderer picocli, CommandLine.Help help, boolean synopsis) {
    UsageMessageSpec u = help.commandSpec().usageMessage();
    int width = u.width();
    boolean auto = u.autoWidth();
    String text;
    u.autoWidth(false);
    u.width(UNWRAPPED);
    try {
      text = picocli.render(help);
    } finally {
      u.width(width);
      u.autoWidth(auto);
    }
    if (synopsis) {
      int heading = help.synopsisHeadingLength();
      int indent = heading + help.commandSpec().qualifiedName().length() + 1;
      return wrapLines(text, width, heading, indent);
    }
    return wrapLines(text, width, 0, -1);
  }

  /**
   * {@code text} with each line longer than {@code width} broken at spaces.
   *
   * @param offset columns already taken on the first line (the synopsis follows its heading)
   * @param indent the continuation indent, or -1 to take it from each line: two columns into its
   *     last column of text (after a run of two or more spaces), or the line's own indent
   */
  static String wrapLines(String text, int width, int offset, int indent) {
    StringBuilder out = new StringBuilder();
    String[] lines = text.split("\n", -1);
    for (int n = 0; n < lines.length; n++) {
      String line = lines[n];
      int taken = n == 0 ? offset : 0;
      if (taken + line.length() <= width) {
        out.append(line);
      } else {
        int column = textColumn(line);
        int into = indent >= 0 ? indent : (column == 0 ? 0 : column + 2);
        out.append(wrap(line, column, width, taken, into));
      }
      if (n < lines.length - 1) {
        out.append('\n');
      }
    }
    return out.toString();
  }

  /**
   * Where the text of a row starts: after its leading spaces, then past a first field (an option's
   * names, a command's name) that ends in two or more spaces, when there is one.
   */
  static int textColumn(String line) {
    int lead = 0;
    while (lead < line.length() && line.charAt(lead) == ' ') {
      lead++;
    }
    if (lead == 0) {
      return 0;
    }
    int gap = line.indexOf("  ", lead);
    if (gap < 0) {
      return lead;
    }
    int text = gap;
    while (text < line.length() && line.charAt(text) == ' ') {
      text++;
    }
    return text < line.length() ? text : lead;
  }

  private static String wrap(String line, int column, int width, int taken, int indent) {
    List<String> rows = new ArrayList<>();
    StringBuilder row = new StringBuilder(line.substring(0, column));
    int rowStart = column; // a row holds no word before this length: it may not break there
    for (String word : line.substring(column).split(" ", -1)) {
      int room = width - (rows.isEmpty() ? taken : 0);
      boolean first = row.length() == rowStart;
      if (!first && row.length() + 1 + word.length() > room) {
        rows.add(row.toString().stripTrailing());
        row = new StringBuilder(" ".repeat(indent));
        rowStart = indent;
        first = true;
      }
      if (!first) {
        row.append(' ');
      }
      row.append(word);
    }
    rows.add(row.toString().stripTrailing());
    return String.join("\n", rows);
  }
}
