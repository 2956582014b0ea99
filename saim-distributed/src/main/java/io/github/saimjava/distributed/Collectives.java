package io.github.saimjava.distributed;

import java.time.Duration;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Connects the {@link Collective} a run asked for: {@link RingCollective} (plain Java, the default)
 * or {@link GlooCollective} (Gloo's TCP transport through JNI; needs Debian's {@code libgloo0}),
 * chosen by the system property {@value #PROPERTY} ({@code java} or {@code gloo}), which a
 * program's option sets through {@link #choose}.
 *
 * <p>The default is Java whatever the machine has installed: every rank of a run must use the same
 * transport, and a default that depended on whether Gloo loads could differ between two nodes.
 */
public final class Collectives {
  /** The system property that picks the implementation: {@code java} (default) or {@code gloo}. */
  public static final String PROPERTY = "saim.collective";

  /**
   * How a program's user picks the implementation, when not through {@value #PROPERTY}: the option
   * that {@link #choose} was given (such as {@code --collective}), for the messages.
   */
  private static volatile @Nullable String option;

  private Collectives() {}

  /**
   * Picks the implementation for this JVM as {@code -D}{@value #PROPERTY} does, on behalf of a
   * program's {@code option} (such as {@code --collective}), which the messages then name.
   *
   * @param value {@code java} or {@code gloo} (any case)
   * @throws IllegalArgumentException naming {@code option} and {@code value} when it is neither
   */
  public static void choose(String value, String option) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    if (!v.equals("java") && !v.equals("gloo")) {
      throw new IllegalArgumentException(
          option
              + " is '"
              + value
              + "': use java (the default, nothing to install) or gloo (needs"
              + " libgloo0)");
    }
    System.setProperty(PROPERTY, v);
    Collectives.option = option;
  }

  /**
   * The implementation {@value #PROPERTY} names: {@code java} when it is unset.
   *
   * @return {@code "java"} or {@code "gloo"}
   * @throws IllegalArgumentException naming the property and its value when it is neither
   */
  public static String chosen() {
    String v = System.getProperty(PROPERTY, "java").strip().toLowerCase(Locale.ROOT);
    if (!v.equals("java") && !v.equals("gloo")) {
      throw new IllegalArgumentException(
          "system property "
              + PROPERTY
              + " is '"
              + System.getProperty(PROPERTY)
              + "': use java (the default, nothing to install) or gloo (needs libgloo0)");
    }
    return v;
  }

  /**
   * Joins the other ranks with the implementation {@link #chosen()} names; the arguments are those
   * of {@link RingCollective#connect} and {@link GlooCollective#connect}.
   *
   * @throws IllegalArgumentException for a bad argument or value of {@value #PROPERTY}
   * @throws IllegalStateException when Gloo is asked for but its native library does not load (one
   *     line saying why)
   * @throws CollectiveException when the others did not arrive in time
   */
  public static Collective connect(
      String rendezvous, int rank, int size, String host, Duration timeout) {
    if (chosen().equals("gloo")) {
      if (!GlooCollective.isAvailable()) {
        String by = option;
        throw new IllegalStateException(
            (by == null ? "-D" + PROPERTY + "=gloo" : by + " gloo")
                + " asks for Gloo, which is not available: "
                + GlooCollective.unavailableReason()
                + (by == null
                    ? "; leave " + PROPERTY + " unset for the Java collective"
                    : "; use " + by + " java (the default)")
                + ", which needs nothing installed");
      }
      return GlooCollective.connect(rendezvous, rank, size, host, timeout);
    }
    return RingCollective.connect(rendezvous, rank, size, host, timeout);
  }
}
