package io.github.saimjava.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this CPU multiplies bfloat16 matrices fast.
 *
 * <p>The engine's CPU matrix multiply in bfloat16 goes to oneDNN only where oneDNN supports
 * bfloat16 on the processor, which on x86-64 means AVX-512 (F, BW, VL and DQ, the "avx512_core"
 * level; AVX-512 BF16 and AMX make it faster still). Without AVX-512 (AMD Zen 2 and 3, most Intel
 * client CPUs) it falls back to a plain loop: measured on a 2-core AMD EPYC (Zen 3, AVX2, no
 * AVX-512) at 0.4-0.7 GFLOP/s against 26-32 GFLOP/s in float32 with the same shapes, in the same
 * sitting, under load (`saim bench gemm --model base --batch 8`; benchmarks/NOTES.md). There,
 * bfloat16 computes in float32 on operands rounded to bfloat16 instead ({@link
 * Autocast#emulated()}, {@link FrozenEncoder}): the products of two bfloat16 values are exact in
 * float32 and the sums accumulate in float32, as the bfloat16 kernels do, so the result is a
 * bfloat16 computation in all but where intermediate sums are rounded.
 *
 * <p>The choice is read from the processor's flags on Linux x86-64 ({@code /proc/cpuinfo});
 * elsewhere the engine's own bfloat16 kernels are used. The system property {@value #PROPERTY}
 * ({@code native} or {@code emulated}) overrides it.
 */
public final class Bf16Support {
  /** System property forcing the choice: {@code native} or {@code emulated}. */
  public static final String PROPERTY = "saim.bf16.matmul";

  /** The x86 flags oneDNN needs for bfloat16 (its avx512_core level). */
  static final List<String> AVX512_CORE = List.of("avx512f", "avx512bw", "avx512vl", "avx512dq");

  private static final Logger LOG = LoggerFactory.getLogger(Bf16Support.class);
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
  private static volatile @Nullable Boolean fromCpu;

  private Bf16Support() {}

  /**
   * Whether bfloat16 matrix multiplies run on the engine's bfloat16 kernels here (true) or would
   * fall back to its slow loop (false).
   *
   * @throws IllegalArgumentException when {@value #PROPERTY} has another value than {@code native}
   *     or {@code emulated}
   */
  public static boolean nativeMatmul() {
    String forced = System.getProperty(PROPERTY);
    if (forced != null) {
      return switch (forced) {
        case "native" -> true;
        case "emulated" -> false;
        default ->
            throw new IllegalArgumentException(
                "-D" + PROPERTY + "=" + forced + " is neither 'native' nor 'emulated'");
      };
    }
    return !x86WithoutAvx512();
  }

  /**
   * Logs once per {@code what}, at warning level, that bfloat16 is emulated on this CPU and brings
   * no speed; nothing where the engine's bfloat16 kernels are fast.
   */
  public static void warnIfSlow(String what) {
    if (!nativeMatmul() && WARNED.add(what)) {
      LOG.warn(
          "{} in bfloat16 on a CPU without AVX-512: the engine has no fast bfloat16 matrix"
              + " multiply here, so bfloat16 is emulated in float32 (bfloat16's rounding, no"
              + " speed-up); float32 (--precision fp32) is faster on this CPU",
          what);
    }
  }

  /**
   * Whether this is an x86-64 CPU whose {@code /proc/cpuinfo} lacks the AVX-512 core flags (false
   * where that cannot be told): the CPU kind this project's AVX2 measurements were made on.
   */
  static boolean x86WithoutAvx512() {
    Boolean b = fromCpu;
    if (b == null) {
      b = readCpu();
      fromCpu = b;
    }
    return !b;
  }

  private static boolean readCpu() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (!(arch.equals("amd64") || arch.equals("x86_64")) || !Files.isReadable(cpuinfo)) {
      return true;
    }
    try {
      return hasAvx512Core(Files.readAllLines(cpuinfo, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      return true;
    }
  }

  /**
   * Whether the first {@code flags} line of {@code /proc/cpuinfo} lists every AVX-512 core flag.
   */
  static boolean hasAvx512Core(List<String> cpuinfo) {
    for (String line : cpuinfo) {
      if (line.startsWith("flags")) {
        int colon = line.indexOf(':');
        Set<String> flags =
            new HashSet<>(Arrays.asList(line.substring(colon + 1).trim().split("\\s+")));
        return flags.containsAll(AVX512_CORE);
      }
    }
    return true;
  }
}
