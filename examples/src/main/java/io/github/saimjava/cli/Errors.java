package io.github.saimjava.cli;

import io.github.saimjava.distributed.CollectiveException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Turns the errors a user can fix (bad input, missing files) into one line on stderr and exit code
 * 2; anything else is a bug and keeps its stack trace.
 *
 * <p>The library words its advice in its own terms (the builder's settings); where such advice
 * means one of this program's options, {@link #inFlagTerms} names the option instead.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler {
  /** Exit code for input the program refuses. */
  static final int BAD_INPUT = 2;

  /** Exit code of a data-parallel rank whose peers failed (died, or did not answer in time). */
  static final int PEER_FAILED = 3;

  /** The library's advice (exact phrases of saim-impl's messages) and the same advice in flags. */
  private static final Map<String, String> FLAGS =
      Map.ofEntries(
          Map.entry("use a smaller batch size", "use a smaller --batch-size"),
          Map.entry("or a new output folder", "or a new --output folder"),
          Map.entry("choose another output folder", "choose another --output"),
          Map.entry(
              "Lower the base learning rate (blr) or clip the gradients (clipGrad).",
              "Lower --blr or enable --clip-grad."),
          Map.entry(
              "give the architecture (a SaimConfig)",
              "give the architecture (--model, --img-size, ...)"),
          Map.entry("use mean pooling (Pooling.MEAN)", "use mean pooling (--pooling mean)"),
          Map.entry(
              "evalOnly needs a fine-tuned checkpoint",
              "evaluation only needs a fine-tuned --checkpoint"),
          Map.entry("need an even batchSize", "need an even --batch-size"),
          Map.entry("check globalPool)", "check --global-pool/--cls-token)"),
          Map.entry(
              "brings its own architecture: give no config",
              "brings its own architecture: give no --model, --img-size, ..."),
          Map.entry("set skipBadImages(true)", "add --skip-bad-images"));

  /**
   * The library's names of settings that this program's messages have always spelled out in words,
   * applied after {@link #FLAGS}, in order.
   */
  private static final List<Map.Entry<Pattern, String>> WORDS =
      List.of(
          Map.entry(
              Pattern.compile("batchSize \\((\\d+)\\) x accumIter \\((\\d+)\\)"),
              "batch size $1 x accum iter $2"),
          Map.entry(Pattern.compile("batchSize \\("), "batch size ("),
          Map.entry(Pattern.compile("^trainImages must"), "--train-images must"),
          Map.entry(Pattern.compile("^validationSplit must"), "--val-split must"),
          Map.entry(Pattern.compile("^heldOutFraction \\("), "--held-out ("),
          Map.entry(Pattern.compile("^knnEvery \\("), "--knn-every ("),
          Map.entry(Pattern.compile("^queries \\("), "--queries ("),
          Map.entry(
              Pattern.compile("^knnData is set but knnEvery is 0"),
              "--knn-data is given but not --knn-every"),
          Map.entry(Pattern.compile("worldSize x devices"), "world size x devices"),
          // the zoo's Java routes for a checkpoint downloaded by hand (SaimZoo.importAdvice)
          Map.entry(
              Pattern.compile(
                  Pattern.quote("in Java import it with new SaimZoo().pull(SaimZoo.artifact(\"")
                      + "([^\"]+)"
                      + Pattern.quote("\"), FILE), or set -Dsaim.zoo.")
                      + "[^ ]+"
                      + Pattern.quote(
                          ".file=FILE, or give the builder checkpoint(FILE) and config(")
                      + "[^ ]+"
                      + Pattern.quote(".config()) instead of zoo(\"")
                      + "[^\"]+"
                      + Pattern.quote("\")")),
              "import it with `saim zoo pull $1 --from FILE`"));

  @Override
  public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult pr) {
    Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
    if (e instanceof CollectiveException c) {
      // another rank died or stopped answering: one line naming it, and a code of its own
      cl.getErr().println("saim: error: " + c.getMessage());
      return PEER_FAILED;
    }
    if (e instanceof NoSuchFileException n) {
      // a reason says what the file was to be ("FILE: no such checkpoint file")
      cl.getErr()
          .println(
              "saim: error: "
                  + (n.getReason() != null ? n.getMessage() : "no such file: " + n.getFile()));
      return BAD_INPUT;
    }
    if (e instanceof IllegalArgumentException
        || e instanceof IOException
        || e instanceof IllegalStateException) {
      cl.getErr().println("saim: error: " + inFlagTerms(String.valueOf(e.getMessage())));
      return BAD_INPUT;
    }
    throw new RuntimeException(ex);
  }

  /** {@code message} with the library's advice replaced by the option that carries it out. */
  static String inFlagTerms(String message) {
    String m = message;
    for (Map.Entry<String, String> e : FLAGS.entrySet()) {
      m = m.replace(e.getKey(), e.getValue());
    }
    for (Map.Entry<Pattern, String> e : WORDS) {
      m = e.getKey().matcher(m).replaceAll(e.getValue());
    }
    return m;
  }
}
