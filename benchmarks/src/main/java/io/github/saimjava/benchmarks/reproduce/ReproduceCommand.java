package io.github.saimjava.benchmarks.reproduce;

import io.github.saimjava.io.AtomicFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code saim reproduce}: the small-scale table of the paper's comparison on Fashion-MNIST. Also a
 * program of its own ({@link #main}) for use without the {@code saim} launcher.
 */
@Command(
    name = "reproduce",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Reproduces the paper's comparison of prediction orders on Fashion-MNIST.",
      "Pre-trains random-init / raster-order / stochastic-order (SAIM) encoders under one budget on"
          + " Fashion-MNIST (optionally the ablations noblur and shared), evaluates each with the"
          + " paper's linear probe against a raw-pixel floor and by a short fine-tune, and writes"
          + " RESULTS/<name>.md and .json with the command, machine, date and times. Every stage"
          + " is cached in the run folder (--output): a rerun reuses finished stages and resumes"
          + " an interrupted pre-training. The full fmnist-small table takes hours on 2 cores;"
          + " --quick takes a minute and only checks that everything runs."
    })
public final class ReproduceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--quick",
      description = "A tiny budget (256 images, width 32, one epoch, one seed): a smoke test.")
  boolean quick;

  @Option(
      names = "--seeds",
      split = ",",
      paramLabel = "S,S",
      description = "Seeds (default: 0,1; --quick: 0).")
  @Nullable List<Long> seeds;

  @Option(
      names = "--variants",
      split = ",",
      paramLabel = "V,V",
      description =
          "Encoders: random, raster, stochastic, noblur, shared (default:"
              + " random,raster,stochastic).")
  @Nullable List<String> variants;

  @Option(names = "--epochs", description = "Pre-training epochs (default: 8; --quick: 1).")
  @Nullable Integer epochs;

  @Option(
      names = "--finetune-epochs",
      paramLabel = "N",
      description = "Short fine-tune epochs, 0 for none (default: 2; --quick: 1).")
  @Nullable Integer fineTuneEpochs;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description =
          "Folder with the Fashion-MNIST test set (t10k-images-idx3-ubyte[.gz] and labels);"
              + " default: /usr/share/datasets/fashion-mnist when present, else the embedded 2,000"
              + " test images.")
  @Nullable Path data;

  @Option(names = "--threads", description = "Engine threads (default: ${DEFAULT-VALUE}).")
  int threads = 2;

  @Option(
      names = "--output",
      paramLabel = "DIR",
      description = "Run folder holding every stage's cache (default: ${DEFAULT-VALUE}).")
  Path output = Path.of("reproduce-run");

  @Option(
      names = "--results",
      paramLabel = "DIR",
      description = "Where the table goes (default: ${DEFAULT-VALUE}).")
  Path results = Path.of("benchmarks", "results");

  @Option(
      names = "--evaluate-only",
      description = "Start or resume no pre-training: evaluate the finished runs only.")
  boolean evaluateOnly;

  @Option(
      names = "--report-only",
      description = "Compute nothing: write the table of what the run folder holds.")
  boolean reportOnly;

  @Option(names = "--note", paramLabel = "TEXT", description = "A note for the table (repeatable).")
  List<String> notes = new ArrayList<>();

  @Option(
      names = "--notes-file",
      paramLabel = "FILE",
      description = "Notes for the table, one per non-blank line.")
  @Nullable Path notesFile;

  @Override
  public Integer call() throws IOException {
    long start = System.nanoTime();
    Plan plan = plan();
    List<String> allNotes = new ArrayList<>(notes);
    if (notesFile != null) {
      if (!Files.isRegularFile(notesFile)) {
        throw new IllegalArgumentException("--notes-file " + notesFile + ": no such file");
      }
      Files.readAllLines(notesFile, StandardCharsets.UTF_8).stream()
          .map(String::strip)
          .filter(l -> !l.isEmpty())
          .forEach(allNotes::add);
    }
    PrintWriter out = spec.commandLine().getOut();
    Path testSource = data != null ? data : Reproduction.defaultTestSource();
    Reproduction r = new Reproduction(plan, output, testSource, out);
    // as typed: under the saim launcher the root's arguments include this command's name
    boolean standalone = spec.root() == spec;
    String command =
        ((standalone ? "java " + ReproduceCommand.class.getName() : spec.root().name())
                + " "
                + String.join(" ", spec.root().commandLine().getParseResult().originalArgs()))
            .strip();
    String machine = Machine.describe();
    Files.createDirectories(results);
    Path md = results.resolve(plan.name() + ".md");
    Path json = results.resolve(plan.name() + ".json");
    Reproduction.Mode mode =
        reportOnly
            ? Reproduction.Mode.REPORT
            : evaluateOnly ? Reproduction.Mode.EVALUATE : Reproduction.Mode.ALL;
    out.printf(
        Locale.ROOT,
        "%s: %s, test set %s; run folder %s, table %s%n",
        plan.name(),
        plan.describeBudget(),
        testSource == null ? "embedded (2,000 images)" : testSource,
        output,
        md);
    out.flush();
    r.run(
        mode,
        report -> {
          ResultTable t =
              new ResultTable(
                  report,
                  command,
                  machine,
                  Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                  (System.nanoTime() - start) / 1e9,
                  allNotes);
          AtomicFiles.write(md, t.markdown().getBytes(StandardCharsets.UTF_8));
          AtomicFiles.write(json, t.json().getBytes(StandardCharsets.UTF_8));
        });
    out.printf(
        Locale.ROOT, "table written to %s (%.0f s)%n", md, (System.nanoTime() - start) / 1e9);
    out.print(Files.readString(md, StandardCharsets.UTF_8));
    out.flush();
    return 0;
  }

  Plan plan() {
    Plan p = quick ? Plan.quick() : Plan.fmnistSmall();
    if (seeds != null) {
      p = p.withSeeds(seeds);
    }
    if (variants != null) {
      p = p.withVariants(variants.stream().map(Variant::parse).toList());
    }
    if (epochs != null) {
      p = p.withEpochs(epochs);
    }
    if (fineTuneEpochs != null) {
      p = p.withFineTuneEpochs(fineTuneEpochs);
    }
    return p.withThreads(threads);
  }

  /** Runs the command; user errors print one line and exit with 2. */
  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  /** The command line with its error handling (also used by tests). */
  public static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new ReproduceCommand());
    cl.setExecutionExceptionHandler(
        (ex, c, pr) -> {
          Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
          if (e instanceof NoSuchFileException n) {
            c.getErr().println("reproduce: error: no such file: " + n.getFile());
            return 2;
          }
          if (e instanceof IllegalArgumentException
              || e instanceof IOException
              || e instanceof IllegalStateException) {
            c.getErr().println("reproduce: error: " + e.getMessage());
            return 2;
          }
          throw ex;
        });
    return cl;
  }
}
