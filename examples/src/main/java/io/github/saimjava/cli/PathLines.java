package io.github.saimjava.cli;

import java.nio.file.Path;

/**
 * A path as one line of a {@code .paths.txt} file or of printed output: a file name may hold a line
 * break, which would give the file more lines than its tensor has rows. Backslash, line feed and
 * carriage return are written {@code \\}, {@code \n} and {@code \r}; every other path reads as it
 * is.
 */
final class PathLines {
  private PathLines() {}

  /** {@code p} escaped to one line. */
  static String escape(Path p) {
    String s = p.toString();
    if (s.indexOf('\\') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
