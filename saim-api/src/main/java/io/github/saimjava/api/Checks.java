package io.github.saimjava.api;

import java.util.Locale;

/** Argument checks whose messages name the value at fault. */
final class Checks {
  private Checks() {}

  static void check(boolean ok, String template, Object... args) {
    if (!ok) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, template, args));
    }
  }
}
