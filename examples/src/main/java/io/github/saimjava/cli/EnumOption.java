package io.github.saimjava.cli;

import java.util.Arrays;
import java.util.Locale;

/**
 * The parsing of every option whose value names a constant of an enum, whatever its case ({@code
 * --precision bf16}, {@code --pooling cls}, {@code --head mlp}): one rule and one message for all
 * commands.
 */
final class EnumOption {
  private EnumOption() {}

  /**
   * The constant of {@code type} that {@code value} names, ignoring case.
   *
   * @throws IllegalArgumentException naming the option, the constants and the value, as {@code
   *     --head must be one of [mlp, linear], got 'conv'}
   */
  static <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(value)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        option
            + " must be one of "
            + Arrays.toString(type.getEnumConstants()).toLowerCase(Locale.ROOT)
            + ", got '"
            + value
            + "'");
  }
}
