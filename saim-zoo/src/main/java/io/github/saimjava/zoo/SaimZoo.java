package io.github.saimjava.zoo;

import io.github.saimjava.api.Normalization;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.spi.CheckpointImporter;
import io.github.saimjava.api.spi.ZooResolver;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The artifacts of the zoo and how each is obtained.
 *
 * <ul>
 *   <li>Bundled artifacts are copied from this jar into the cache, verified, and work offline.
 *   <li>Others are taken, in this order, from a file the user names with the system property {@code
 *       saim.zoo.<name>.file} (a safetensors file, e.g. the output of {@code saim convert}), from
 *       the cache, or downloaded from {@code saim.zoo.<name>.url}, else {@code
 *       $SAIM_ZOO_MIRROR/<file name>}, else the artifact's own URL (the paper's checkpoints: the
 *       authors' Google Drive files).
 *   <li>An artifact whose digest the zoo knows is verified against it (or against {@code
 *       saim.zoo.<name>.sha256}) and cached as it is.
 *   <li>The paper's checkpoints have no published digest. The first download is converted with the
 *       safe checkpoint reader (nothing in the file is executed), its layout checked against the
 *       artifact ({@link ZooLayout}), and cached as safetensors with a record of two digests: the
 *       downloaded file's and the converted file's ({@link ArtifactCache.Imported}). They are
 *       printed once with the pin line. A pin {@code -Dsaim.zoo.<name>.sha256=...} is compared with
 *       the <em>downloaded</em> file's SHA-256 (what {@code sha256sum} prints for the file from the
 *       authors' host): a cached entry that disagrees is not used, and a new file that disagrees is
 *       refused with the cache left as it was.
 *   <li>{@link #pull(ZooArtifact, Path)} imports a file downloaded by hand, checked the same way.
 * </ul>
 */
public final class SaimZoo implements ZooResolver {
  /** The DJL group id of the zoo. */
  public static final String GROUP_ID = "io.github.saimjava";

  private static final float[] IMAGENET_MEAN = floats(Normalization.IMAGENET_MEAN);
  private static final float[] IMAGENET_STD = floats(Normalization.IMAGENET_STD);

  private static final Map<String, ZooArtifact> ARTIFACTS = new LinkedHashMap<>();

  static {
    add(
        new ZooArtifact(
            "saim_vit_micro_patch4_32_fmnist",
            "SAIM ViT (width 96, depth 6, 3 heads) at 32 px, patch 4, pre-trained 8 epochs on the"
                + " embedded Fashion-MNIST subset",
            SaimConfig.builder()
                .imageSize(32)
                .patchSize(4)
                .width(96)
                .depth(6)
                .heads(3)
                .queryDepth(6)
                .blur(3, 1)
                .build(),
            IMAGENET_MEAN,
            IMAGENET_STD,
            "this project: saim pretrain on the first 10,000 Fashion-MNIST training images (MIT,"
                + " Zalando SE); see MODEL_CARD.md",
            "saim_vit_micro_patch4_32_fmnist.safetensors",
            "6c1be43bd650337f34a67d8437fc812bf844c03ac6a184d11f4d3f8844bc9793",
            "/io/github/saimjava/zoo/saim_vit_micro_patch4_32_fmnist.safetensors",
            null,
            ZooArtifact.Kind.PRETRAINED));
    add(
        new ZooArtifact(
            "saim_vit_mini_patch4_32_fmnist",
            "SAIM ViT (width 128, depth 6, 4 heads) at 32 px, patch 4, pre-trained 12 epochs on the"
                + " 60,000 Fashion-MNIST training images; full pre-training weights (encoder, query"
                + " stream and prediction head)",
            SaimConfig.fmnistSmall(),
            IMAGENET_MEAN,
            IMAGENET_STD,
            "this project: fmnist-small's architecture and recipe with the longer budget of"
                + " benchmarks/fmnist-long.sh, on the 60,000 Fashion-MNIST training images (MIT,"
                + " Zalando SE); see MODEL_CARD.md",
            "saim_vit_mini_patch4_32_fmnist.safetensors",
            "fcefd694c31c8db83217afe608013d3abf87231ec15103c91a00b4f928562445",
            "/io/github/saimjava/zoo/saim_vit_mini_patch4_32_fmnist.safetensors",
            null,
            ZooArtifact.Kind.PRETRAINED));
    add(
        new ZooArtifact(
            "saim_vit_base_patch16_224",
            "SAIM ViT-B/16, 800 epochs of ImageNet-1K pre-training (the paper's model)",
            SaimConfig.vitBase(),
            IMAGENET_MEAN,
            IMAGENET_STD,
            "Qi et al., AAAI 2023; the authors' published pre-training checkpoint (Google Drive,"
                + " linked from github.com/qiy20/SAIM)",
            "saim_vit_base_patch16_224.safetensors",
            null,
            null,
            drive("1qdK8lwcJp0hE8v3NoKZ4LcqzGFOxq0Ra"),
            ZooArtifact.Kind.PRETRAINED));
    add(
        new ZooArtifact(
            "saim_vit_base_patch16_224_in1k_ft",
            "SAIM ViT-B/16 fine-tuned on ImageNet-1K (1000 classes; 83.9% top-1 reported; head:"
                + " global pool + fc_norm or class token + norm, as the file has it)",
            SaimConfig.vitBase(),
            IMAGENET_MEAN,
            IMAGENET_STD,
            "Qi et al., AAAI 2023; the authors' published fine-tuned checkpoint (Google Drive,"
                + " linked from github.com/qiy20/SAIM)",
            "saim_vit_base_patch16_224_in1k_ft.safetensors",
            null,
            null,
            drive("1-XjhgIY0uLDLH6U5lWZ3sbLcJqdeVhkr"),
            ZooArtifact.Kind.FINETUNED));
    add(
        new ZooArtifact(
            "saim_vit_base_patch16_224_in1k_lin",
            "SAIM ViT-B/16 linear-probed on ImageNet-1K (class token, BatchNorm, linear head; 62.5%"
                + " top-1 reported)",
            SaimConfig.vitBase(),
            IMAGENET_MEAN,
            IMAGENET_STD,
            "Qi et al., AAAI 2023; the authors' published linear-probe checkpoint (Google Drive,"
                + " linked from github.com/qiy20/SAIM)",
            "saim_vit_base_patch16_224_in1k_lin.safetensors",
            null,
            null,
            drive("1ZqK_2D7hEJcp7RsT1KQyokRWgh2kBbgn"),
            ZooArtifact.Kind.LINEAR_PROBE));
  }

  /**
   * The direct-download address of a Google Drive file whose sharing link is {@code
   * https://drive.google.com/file/d/ID/view}: the form the authors' README links use.
   */
  static URI drive(String id) {
    return URI.create("https://drive.google.com/uc?export=download&id=" + id);
  }

  private final ArtifactCache cache;
  private final Consumer<String> log;
  private final Downloader downloader;

  /**
   * The zoo over the default cache (as ServiceLoader creates it); messages and progress on stderr.
   */
  public SaimZoo() {
    this(ArtifactCache.defaultCache());
  }

  /** The zoo over {@code cache}; messages and progress on stderr. */
  public SaimZoo(ArtifactCache cache) {
    this(cache, System.err::println);
  }

  /**
   * The zoo over {@code cache}.
   *
   * @param log receives download progress and, once per artifact cached, its digests and how to pin
   *     them
   */
  public SaimZoo(ArtifactCache cache, Consumer<String> log) {
    this(cache, log, Downloader.fromSystemProperties(log));
  }

  SaimZoo(ArtifactCache cache, Consumer<String> log, Downloader downloader) {
    this.cache = cache;
    this.log = log;
    this.downloader = downloader;
  }

  static void add(ZooArtifact a) {
    ARTIFACTS.put(a.name(), a);
  }

  static void remove(String name) {
    ARTIFACTS.remove(name);
  }

  /** Every artifact, by name. */
  public static Map<String, ZooArtifact> artifacts() {
    return Collections.unmodifiableMap(ARTIFACTS);
  }

  /**
   * The artifact called {@code name}.
   *
   * @throws IllegalArgumentException listing the known names when there is none
   */
  public static ZooArtifact artifact(String name) {
    ZooArtifact a = ARTIFACTS.get(name);
    if (a == null) {
      throw new IllegalArgumentException(
          "unknown zoo model '"
              + name
              + "' (known: "
              + String.join(", ", ARTIFACTS.keySet())
              + ")");
    }
    return a;
  }

  @Override
  public List<String> names() {
    return new ArrayList<>(ARTIFACTS.keySet());
  }

  @Override
  public Optional<Resolved> resolve(String name) throws IOException {
    ZooArtifact a = ARTIFACTS.get(name);
    return a == null ? Optional.empty() : Optional.of(new Resolved(weights(a), a.config()));
  }

  /** Whether the artifact is available without a download (false when the cache cannot be read). */
  public boolean isAvailableOffline(ZooArtifact a) {
    if (a.bundledResource() != null || userFile(a) != null) {
      return true;
    }
    if (a.sha256() != null) {
      return cache.cached(a.fileName(), pinnedSha(a)) != null;
    }
    try {
      ArtifactCache.Imported i = cache.imported(a.name(), a.fileName());
      return i != null && pinAllows(a, i);
    } catch (IOException e) {
      return false;
    }
  }

  /** The cache this zoo uses. */
  public ArtifactCache cache() {
    return cache;
  }

  /**
   * The verified weights file of {@code a}: a file named by {@code saim.zoo.<name>.file}; a bundled
   * file; a cached file; else a download. An artifact the zoo knows the digest of is downloaded as
   * it is and verified against it; the others (the paper's checkpoints) are downloaded from the
   * authors' host (or {@code saim.zoo.<name>.url}, or the mirror), converted and checked as {@link
   * #pull(ZooArtifact, Path)} does, and their digests are logged once with the pin line.
   *
   * @throws IOException saying how to obtain it when it cannot be
   * @throws IllegalArgumentException when the file is refused (layout, pinned digest, HTML, unsafe
   *     pickle)
   */
  public Path weights(ZooArtifact a) throws IOException {
    Path user = userFile(a);
    if (user != null) {
      if (!Files.isRegularFile(user)) {
        throw new IOException(
            "saim.zoo." + a.name() + ".file names " + user + ", which does not exist");
      }
      String want = sha(a);
      if (want != null && !ArtifactCache.sha256(user).equalsIgnoreCase(want)) {
        throw new IOException(
            user + " does not have the SHA-256 of " + a.name() + " (" + want + ")");
      }
      return user;
    }
    String sha = sha(a);
    if (a.bundledResource() != null && sha != null) {
      Path cached = cache.cached(a.fileName(), sha);
      if (cached != null) {
        return cached;
      }
      try (InputStream in = SaimZoo.class.getResourceAsStream(a.bundledResource())) {
        if (in == null) {
          throw new IOException(
              "the bundled artifact " + a.bundledResource() + " is missing from the saim-zoo jar");
        }
        return cache.put(a.fileName(), sha, in);
      }
    }
    URI url = url(a);
    if (a.sha256() != null) {
      if (url == null) {
        throw new IOException(
            a.name()
                + " is not cached and has no URL: set saim.zoo."
                + a.name()
                + ".url (or SAIM_ZOO_MIRROR)");
      }
      Path cached = cache.cached(a.fileName(), pinnedSha(a));
      return cached != null ? cached : cache.fetch(a.fileName(), pinnedSha(a), url, downloader);
    }
    ArtifactCache.Imported have = cache.imported(a.name(), a.fileName());
    if (have != null && pinAllows(a, have)) {
      return have.weights();
    }
    if (url == null) {
      throw new IOException(
          a.name()
              + " is not bundled and has no known URL: download the published checkpoint by hand,"
              + " then "
              + importAdvice(a.name())
              + "; or set saim.zoo."
              + a.name()
              + ".url (or SAIM_ZOO_MIRROR)");
    }
    try (ArtifactCache.Held lock = cache.lock()) {
      // another process may have pulled it while this one waited for the lock
      ArtifactCache.Imported now = cache.imported(a.name(), a.fileName());
      if (now != null && pinAllows(a, now)) {
        return now.weights();
      }
      Imported done = download(a, url);
      log.accept(digestLines(a, done.entry(), done.notes()));
      return done.entry().weights();
    }
  }

  /**
   * What {@link #pull} cached.
   *
   * @param entry the cache entry and its digests
   * @param notes what the conversion left out and what a non-strict load of a pre-trained file will
   *     report (a missing query stream...)
   */
  public record Imported(ArtifactCache.Imported entry, List<String> notes) {}

  /**
   * Downloads {@code a} (when not cached already, or when the cached file disagrees with the pin)
   * and returns its cache entry. Artifacts with a digest of their own (the bundled ones) are
   * verified and cached as they are; their entry's two digests are that digest.
   */
  public Imported pull(ZooArtifact a) throws IOException {
    try (ArtifactCache.Held lock = cache.lock()) {
      return pullLocked(a);
    }
  }

  private Imported pullLocked(ZooArtifact a) throws IOException {
    if (a.sha256() != null) {
      Path p = weights(a);
      long n = Files.size(p);
      return new Imported(
          new ArtifactCache.Imported(
              p,
              a.bundledResource() != null ? "bundled in saim-zoo" : String.valueOf(url(a)),
              pinnedSha(a),
              n,
              pinnedSha(a),
              n),
          List.of());
    }
    ArtifactCache.Imported have = cache.imported(a.name(), a.fileName());
    if (have != null && pinAllows(a, have)) {
      return new Imported(have, List.of());
    }
    URI url = url(a);
    if (url == null) {
      throw new IOException(
          a.name()
              + " has no known URL: download the published checkpoint by hand, then "
              + importAdvice(a.name()));
    }
    return download(a, url);
  }

  /**
   * Imports a file the user downloaded by hand (the authors' {@code .pth}, or a {@code
   * .safetensors}): its digest is checked against a pin ({@code saim.zoo.<name>.sha256}), it is
   * converted with the safe reader (nothing in it is executed), its layout is checked against the
   * artifact ({@link ZooLayout#check}), and only then does it replace the cache entry. The given
   * file is left as it is.
   *
   * @throws IllegalArgumentException in one line when the file is refused (HTML page, unsafe or
   *     malformed checkpoint, wrong layout, digest other than the pinned one); the cache is
   *     unchanged
   */
  public Imported pull(ZooArtifact a, Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString());
    }
    try (ArtifactCache.Held lock = cache.lock()) {
      return pullLocked(a, file);
    }
  }

  private Imported pullLocked(ZooArtifact a, Path file) throws IOException {
    String got = ArtifactCache.sha256(file);
    if (a.sha256() != null) {
      if (!got.equals(sha(a))) {
        throw new IllegalArgumentException(
            file
                + " has SHA-256 "
                + got
                + ", not the "
                + sha(a)
                + " of "
                + a.name()
                + "; nothing was cached");
      }
      try (InputStream in = Files.newInputStream(file)) {
        Path p = cache.put(a.fileName(), got, in);
        long n = Files.size(p);
        return new Imported(
            new ArtifactCache.Imported(p, file.toString(), got, n, got, n), List.of());
      }
    }
    checkPin(a, got, file.toString());
    return convertAndCache(a, file, file.toString(), got);
  }

  private Imported download(ZooArtifact a, URI url) throws IOException {
    String stem =
        a.name()
            + "-"
            + ArtifactCache.sha256(url.toString().getBytes(StandardCharsets.UTF_8))
                .substring(0, 12);
    Path part = cache.downloads().resolve(stem + ".part");
    // a finished download that could not be converted (no memory, a full disk) is kept under this
    // name, so that the next attempt converts it without downloading it again
    Path done = cache.downloads().resolve(stem + ".download");
    if (!Files.isRegularFile(done)) {
      downloader.download(a.name(), url, part);
      Files.move(part, done, StandardCopyOption.REPLACE_EXISTING);
    }
    String got = ArtifactCache.sha256(done);
    Imported imported;
    try {
      checkPin(a, got, url.toString());
      imported = convertAndCache(a, done, url.toString(), got);
    } catch (IllegalArgumentException e) {
      // refused for its content: the next attempt downloads afresh
      Files.deleteIfExists(done);
      throw e;
    }
    Files.deleteIfExists(done);
    return imported;
  }

  private static void checkPin(ZooArtifact a, String got, String source) {
    String pin = sha(a);
    if (pin != null && !pin.equals(got)) {
      throw new IllegalArgumentException(
          source
              + " has SHA-256 "
              + got
              + ", but -Dsaim.zoo."
              + a.name()
              + ".sha256 pins "
              + pin
              + ": refused, the cache is as it was");
    }
  }

  private static boolean pinAllows(ZooArtifact a, ArtifactCache.Imported i) {
    String pin = sha(a);
    return pin == null || pin.equals(i.downloadedSha256());
  }

  private Imported convertAndCache(ZooArtifact a, Path file, String source, String downloadedSha)
      throws IOException {
    String kind = FileKind.of(file);
    if (kind.startsWith("html")) {
      throw new IllegalArgumentException(
          file
              + " is an HTML page ("
              + kind.substring("html: ".length())
              + "), not a checkpoint: download the file itself (a browser's confirmation page saved"
              + " by mistake?); nothing was cached");
    }
    Path staging = cache.staging();
    Files.createDirectories(staging);
    Path input = file;
    Path link = null;
    String ext = kind.equals("safetensors") ? ".safetensors" : ".pth";
    if (!file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(ext)) {
      // the converter tells the formats apart by the extension
      link = Files.createTempFile(staging, a.name() + "-input-", ext);
      Files.delete(link);
      try {
        Files.createLink(link, file.toAbsolutePath());
      } catch (IOException | UnsupportedOperationException e) {
        Files.copy(file, link);
      }
      input = link;
    }
    Path out = Files.createTempFile(staging, a.name() + "-", ".safetensors");
    try {
      List<String> notes = new ArrayList<>();
      Map<String, long[]> shapes = CheckpointImporter.load().convert(input, out, notes::add);
      notes.addAll(ZooLayout.check(a, shapes, source));
      ArtifactCache.Imported entry =
          cache.install(a.name(), a.fileName(), out, source, downloadedSha, Files.size(file));
      return new Imported(entry, List.copyOf(notes));
    } finally {
      Files.deleteIfExists(out);
      if (link != null) {
        Files.deleteIfExists(link);
      }
    }
  }

  /**
   * What {@code saim zoo list} shows of an artifact.
   *
   * @param state one line: cached, bundled, named by a system property, or how it would be obtained
   * @param entry the cached file and its digests, when cached
   */
  public record Listing(String state, ArtifactCache.@Nullable Imported entry) {}

  /** Where {@code a} stands in this zoo's cache, without downloading anything. */
  public Listing listing(ZooArtifact a) throws IOException {
    Path user = userFile(a);
    if (user != null) {
      return new Listing("from -Dsaim.zoo." + a.name() + ".file=" + user, null);
    }
    URI url = url(a);
    if (a.sha256() != null) {
      Path p = cache.cached(a.fileName(), pinnedSha(a));
      String origin =
          a.bundledResource() != null ? "bundled in the saim-zoo jar" : String.valueOf(url);
      if (p == null) {
        return new Listing(
            a.bundledResource() != null
                ? "bundled in the saim-zoo jar (works offline; copied to the cache "
                    + "on first use)"
                : "not cached: first use downloads it from " + host(url),
            null);
      }
      long n = Files.size(p);
      return new Listing(
          "cached" + (a.bundledResource() != null ? " (bundled in the saim-zoo jar)" : ""),
          new ArtifactCache.Imported(p, origin, pinnedSha(a), n, pinnedSha(a), n));
    }
    ArtifactCache.Imported have = cache.imported(a.name(), a.fileName());
    String howTo =
        url != null
            ? "first use downloads it from "
                + host(url)
                + " (or `saim zoo pull "
                + a.name()
                + " --from FILE`)"
            : "import it with `saim zoo pull " + a.name() + " --from FILE`";
    if (have == null) {
      return new Listing("not cached: " + howTo, null);
    }
    if (!pinAllows(a, have)) {
      return new Listing(
          "cached, but not the file -Dsaim.zoo." + a.name() + ".sha256 pins: " + howTo, have);
    }
    return new Listing("cached", have);
  }

  private static String host(@Nullable URI url) {
    return url == null || url.getHost() == null ? String.valueOf(url) : url.getHost();
  }

  /** The lines printed once when an artifact is cached: where it is, both digests, the pin. */
  public static String digestLines(ZooArtifact a, ArtifactCache.Imported e, List<String> notes) {
    StringBuilder b = new StringBuilder();
    b.append("saim-zoo: ")
        .append(a.name())
        .append(" is cached at ")
        .append(e.weights())
        .append('\n');
    b.append("  downloaded SHA-256 ")
        .append(e.downloadedSha256())
        .append("  (")
        .append(e.downloadedBytes())
        .append(" bytes from ")
        .append(e.source())
        .append(")\n");
    b.append("  converted  SHA-256 ")
        .append(e.convertedSha256())
        .append("  (")
        .append(e.convertedBytes())
        .append(" bytes)\n");
    for (String n : notes) {
      b.append("  note: ").append(n).append('\n');
    }
    b.append("  pin it (compared with the downloaded file's SHA-256): -Dsaim.zoo.")
        .append(a.name())
        .append(".sha256=")
        .append(e.downloadedSha256());
    return b.toString();
  }

  /**
   * How a checkpoint downloaded by hand reaches the zoo, in a library user's terms (the Java
   * routes: {@link #pull(ZooArtifact, Path)}, the system property, the builder's {@code
   * checkpoint}); the {@code saim} program words it as its own {@code saim zoo pull NAME --from
   * FILE}.
   */
  static String importAdvice(String name) {
    String artifact = "SaimZoo.artifact(\"" + name + "\")";
    return "in Java import it with new SaimZoo().pull("
        + artifact
        + ", FILE), or set -Dsaim.zoo."
        + name
        + ".file=FILE, or give the builder checkpoint(FILE) and config("
        + artifact
        + ".config()) instead of zoo(\""
        + name
        + "\")";
  }

  private static @Nullable Path userFile(ZooArtifact a) {
    String f = System.getProperty("saim.zoo." + a.name() + ".file");
    return f == null ? null : Path.of(f);
  }

  private static @Nullable String sha(ZooArtifact a) {
    String s = System.getProperty("saim.zoo." + a.name() + ".sha256");
    return s != null ? s.toLowerCase(Locale.ROOT) : a.sha256();
  }

  /** {@link #sha} of an artifact that pins a SHA-256 ({@code a.sha256() != null}). */
  private static String pinnedSha(ZooArtifact a) {
    String pin = a.sha256();
    if (pin == null) {
      throw new IllegalStateException(a.name() + " pins no SHA-256");
    }
    String s = System.getProperty("saim.zoo." + a.name() + ".sha256");
    return s != null ? s.toLowerCase(Locale.ROOT) : pin;
  }

  /**
   * The URL {@code a} is downloaded from: {@code saim.zoo.<name>.url}, the mirror, or the
   * artifact's own.
   */
  static @Nullable URI url(ZooArtifact a) {
    String u = System.getProperty("saim.zoo." + a.name() + ".url");
    if (u != null) {
      return URI.create(u);
    }
    String mirror = System.getenv("SAIM_ZOO_MIRROR");
    if (mirror == null) {
      mirror = System.getProperty("saim.zoo.mirror");
    }
    if (mirror != null) {
      return URI.create(mirror.endsWith("/") ? mirror + a.fileName() : mirror + "/" + a.fileName());
    }
    return a.url();
  }

  private static float[] floats(List<Float> v) {
    float[] out = new float[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i);
    }
    return out;
  }
}
