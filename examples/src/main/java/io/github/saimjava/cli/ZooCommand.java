package io.github.saimjava.cli;

import io.github.saimjava.zoo.ArtifactCache;
import io.github.saimjava.zoo.SaimZoo;
import io.github.saimjava.zoo.ZooArtifact;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code saim zoo list} and {@code saim zoo pull NAME [--from FILE]}. */
@Command(
    name = "zoo",
    mixinStandardHelpOptions = true,
    description = {
      "The model zoo: what it holds, and fetching or importing its files.",
      "The cache is $SAIM_CACHE_DIR, else -Dsaim.cache.dir, else ~/.cache/saim-java."
    },
    subcommands = {ZooCommand.List.class, ZooCommand.Pull.class})
final class ZooCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** One label per kind, for the listing's first line. */
  static String kind(ZooArtifact a) {
    return switch (a.kind()) {
      case PRETRAINED -> "pre-trained";
      case FINETUNED -> "fine-tuned classifier, " + a.classes() + " classes";
      case LINEAR_PROBE -> "linear-probe classifier, " + a.classes() + " classes";
    };
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "Lists every model of the zoo and whether it is cached.",
        "Each model's name, what it is, whether it is cached, and its digests when known",
        "(downloaded: the file as it came; converted: the safetensors file in the cache)."
      })
  static final class List implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter o = spec.commandLine().getOut();
      SaimZoo zoo = new SaimZoo(ArtifactCache.defaultCache(), line -> {});
      for (ZooArtifact a : SaimZoo.artifacts().values()) {
        SaimZoo.Listing l = zoo.listing(a);
        o.println(a.name() + "  [" + kind(a) + "]  " + l.state());
        o.println("    " + a.description());
        ArtifactCache.Imported e = l.entry();
        if (e != null) {
          if (a.sha256() != null) {
            // a file of the zoo's own, cached as it is: one digest, the zoo's
            o.println(
                "    SHA-256 " + e.convertedSha256() + "  (" + e.convertedBytes() + " bytes)");
          } else {
            o.println(
                "    downloaded SHA-256 "
                    + e.downloadedSha256()
                    + "  ("
                    + e.downloadedBytes()
                    + " bytes)");
            o.println(
                "    converted  SHA-256 "
                    + e.convertedSha256()
                    + "  ("
                    + e.convertedBytes()
                    + " bytes)");
          }
        }
      }
      o.flush();
      return 0;
    }
  }

  @Command(
      name = "pull",
      mixinStandardHelpOptions = true,
      description = {
        "Downloads a model into the cache, or imports a file downloaded by hand.",
        "Downloads a model into the cache (or imports a file downloaded by hand with --from),"
            + " converts it",
        "with the safe checkpoint reader (nothing in the file is executed), checks its layout, and"
            + " prints",
        "its digests with the line that pins them. A refused file (wrong architecture or key set,"
            + " HTML page,",
        "digest other than the pinned one): one line, exit code 2, the cache unchanged."
      })
  static final class Pull implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The model (see saim zoo list).")
    String name;

    @Option(
        names = "--from",
        paramLabel = "FILE",
        description = "A file downloaded by hand: the authors' .pth, or a .safetensors.")
    @Nullable Path from;

    @Override
    public Integer call() throws Exception {
      ZooArtifact a = SaimZoo.artifact(name);
      PrintWriter err = spec.commandLine().getErr();
      SaimZoo zoo =
          new SaimZoo(
              ArtifactCache.defaultCache(),
              line -> {
                err.println(line);
                err.flush();
              });
      // printed with the cache's lock held: no other pull can replace the entry before the path
      // that is printed
      try (ArtifactCache.Held lock = zoo.cache().lock()) {
        SaimZoo.Imported done = from != null ? zoo.pull(a, from) : zoo.pull(a);
        PrintWriter o = spec.commandLine().getOut();
        o.println(SaimZoo.digestLines(a, done.entry(), done.notes()));
        o.flush();
      }
      return 0;
    }
  }
}
