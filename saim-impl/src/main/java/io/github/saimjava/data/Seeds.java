package io.github.saimjava.data;

/**
 * Seeds derived from the run seed and a position, so that every random draw is a pure function of
 * them.
 */
final class Seeds {
  /** Domain of the epoch's shuffle. */
  static final long ORDER = 0x4F52444552L;

  /** Domain of one image's augmentation. */
  static final long AUGMENT = 0x4155474DL;

  /** Domain of one image's random erasing. */
  static final long ERASE = 0x4552415345L;

  /** Domain of one batch's mixup / cutmix draw. */
  static final long MIXUP = 0x4D49585550L;

  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private Seeds() {}

  /**
   * A 64-bit seed from (domain, seed, a, b). For fixed (domain, seed, a) distinct b give distinct
   * results (each step is a bijection), and the chain decorrelates nearby inputs.
   */
  static long mix(long domain, long seed, long a, long b) {
    long h = mix64(seed ^ mix64(domain));
    h = mix64(h + GOLDEN * (a + 1));
    return mix64(h + GOLDEN * (b + 1));
  }

  /** SplitMix64's finaliser (a bijection of 64-bit values). */
  static long mix64(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
