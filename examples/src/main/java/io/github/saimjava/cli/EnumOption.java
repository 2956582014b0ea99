package io.github.saimjava.cli;

import io.github.saimjava.api.Augmentation;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The parsing of every option whose value names a constant of an enum, whatever its case ({@code
 * --precision bf16}, {@code --pooling cls}, {@code --head mlp}, {@code --augment flip}): one rule
 * and one message for all commands.
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
    return parse(type, Enum::name, value, option);
  }

  /**
   * The constant of {@code type} whose spelling on the command line is {@code value}, ignoring
   * case: for options whose words are shorter than the constants' names ({@code --augment rrc}).
   *
   * @throws IllegalArgumentException naming the option, the spellings and the value
   */
  static <E extends Enum<E>> E parse(
      Class<E> type, Function<E, String> spelling, String value, String option) {
    E[] constants = type.getEnumConstants();
    for (E e : constants) {
      if (spelling.apply(e).equalsIgnoreCase(value)) {
        return e;
      }
    }
    throw new IllegalArgumentException(
        option
            + " must be one of "
            + Arrays.stream(constants)
                .map(e -> spelling.apply(e).toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", ", "[", "]"))
            + ", got '"
            + value
            + "'");
  }

  /** {@code --augment}'s value ({@code rrc} or {@code flip}), as pretrain and finetune take it. */
  static Augmentation augmentation(String value) {
    return parse(
        Augmentation.class,
        a ->
            switch (a) {
              case RANDOM_RESIZED_CROP -> "rrc";
              case FLIP_ONLY -> "flip";
            },
        value,
        "--augment");
  }
}
