package io.github.saimjava.zoo;

import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.spi.ZooResolver;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The artifacts of the zoo and how each is obtained.
 *
 * <ul>
 *   <li>Bundled artifacts are copied from this jar into the cache, verified, and work offline.
 *   <li>Others are taken, in this order, from a file the user names with the system property
 *       {@code saim.zoo.<name>.file} (e.g. the output of {@code saim convert} on the published
 *       checkpoint), from the cache, or downloaded from {@code saim.zoo.<name>.url} (or
 *       {@code $SAIM_ZOO_MIRROR/<file name>}) and verified against the known SHA-256 or the one
 *       given in {@code saim.zoo.<name>.sha256}.
 * </ul>
 */
public final class SaimZoo implements ZooResolver {
  /** The DJL group id of the zoo. */
  public static final String GROUP_ID = "io.github.saimjava";

  private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
  private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  private static final Map<String, ZooArtifact> ARTIFACTS = new LinkedHashMap<>();

  static {
    add(new ZooArtifact("saim_vit_micro_patch4_32_fmnist",
        "SAIM ViT (width 96, depth 6, 3 heads) at 32 px, patch 4, pre-trained 8 epochs on the embedded Fashion-MNIST subset",
        SaimConfig.builder().imageSize(32).patchSize(4).width(96).depth(6).heads(3).queryDepth(6)
            .blur(3, 1).build(),
        IMAGENET_MEAN, IMAGENET_STD,
        "this project: saim pretrain on the first 10,000 Fashion-MNIST training images (MIT, Zalando SE); see MODEL_CARD.md",
        "saim_vit_micro_patch4_32_fmnist.safetensors",
        "6c1be43bd650337f34a67d8437fc812bf844c03ac6a184d11f4d3f8844bc9793",
        "/io/github/saimjava/zoo/saim_vit_micro_patch4_32_fmnist.safetensors", null, ZooArtifact.Kind.PRETRAINED));
    add(new ZooArtifact("saim_vit_mini_patch4_32_fmnist",
        "SAIM ViT (width 128, depth 6, 4 heads) at 32 px, patch 4, pre-trained 12 epochs on the 60,000 Fashion-MNIST "
            + "training images; full pre-training weights (encoder, query stream and prediction head)",
        SaimConfig.builder().imageSize(32).patchSize(4).width(128).depth(6).heads(4).queryDepth(6)
            .blur(3, 1).build(),
        IMAGENET_MEAN, IMAGENET_STD,
        "this project: fmnist-small's architecture and recipe with the longer budget of benchmarks/fmnist-long.sh, on "
            + "the 60,000 Fashion-MNIST training images (MIT, Zalando SE); see MODEL_CARD.md",
        "saim_vit_mini_patch4_32_fmnist.safetensors",
        "fcefd694c31c8db83217afe608013d3abf87231ec15103c91a00b4f928562445",
        "/io/github/saimjava/zoo/saim_vit_mini_patch4_32_fmnist.safetensors", null, ZooArtifact.Kind.PRETRAINED));
    add(new ZooArtifact("saim_vit_base_patch16_224",
        "SAIM ViT-B/16, 800 epochs of ImageNet-1K pre-training (the paper's model)",
        SaimConfig.vitBase(), IMAGENET_MEAN, IMAGENET_STD,
        "Qi et al., AAAI 2023; the authors' published pre-training checkpoint, converted with saim convert",
        "saim_vit_base_patch16_224.safetensors", null, null, null, ZooArtifact.Kind.PRETRAINED));
    add(new ZooArtifact("saim_vit_base_patch16_224_in1k_ft",
        "SAIM ViT-B/16 fine-tuned on ImageNet-1K (global pool, 1000 classes; 83.9% top-1 reported)",
        SaimConfig.vitBase(), IMAGENET_MEAN, IMAGENET_STD,
        "Qi et al., AAAI 2023; the authors' published fine-tuned checkpoint",
        "saim_vit_base_patch16_224_in1k_ft.safetensors", null, null, null, ZooArtifact.Kind.FINETUNED));
    add(new ZooArtifact("saim_vit_base_patch16_224_in1k_lin",
        "SAIM ViT-B/16 linear-probed on ImageNet-1K (class token, BatchNorm, linear head; 62.5% top-1 reported)",
        SaimConfig.vitBase(), IMAGENET_MEAN, IMAGENET_STD,
        "Qi et al., AAAI 2023; the authors' published linear-probe checkpoint",
        "saim_vit_base_patch16_224_in1k_lin.safetensors", null, null, null, ZooArtifact.Kind.LINEAR_PROBE));
  }

  private final ArtifactCache cache;

  /** The zoo over the default cache (as ServiceLoader creates it). */
  public SaimZoo() {
    this(ArtifactCache.defaultCache());
  }

  public SaimZoo(ArtifactCache cache) {
    this.cache = cache;
  }

  static void add(ZooArtifact a) {
    ARTIFACTS.put(a.name(), a);
  }

  /** Every artifact, by name. */
  public static Map<String, ZooArtifact> artifacts() {
    return java.util.Collections.unmodifiableMap(ARTIFACTS);
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

  /** Whether the artifact is available without a download. */
  public boolean isAvailableOffline(ZooArtifact a) {
    return a.bundledResource() != null || userFile(a) != null
        || (sha(a) != null && cache.cached(a.fileName(), sha(a)) != null);
  }

  /**
   * The verified weights file of {@code a}.
   *
   * @throws IOException saying how to obtain it when it cannot be
   */
  public Path weights(ZooArtifact a) throws IOException {
    Path user = userFile(a);
    if (user != null) {
      if (!Files.isRegularFile(user)) {
        throw new IOException("saim.zoo." + a.name() + ".file names " + user + ", which does not exist");
      }
      String want = sha(a);
      if (want != null && !ArtifactCache.sha256(user).equalsIgnoreCase(want)) {
        throw new IOException(user + " does not have the SHA-256 of " + a.name() + " (" + want + ")");
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
          throw new IOException("the bundled artifact " + a.bundledResource() + " is missing from the saim-zoo jar");
        }
        return cache.put(a.fileName(), sha, in);
      }
    }
    URI url = url(a);
    if (sha == null || url == null) {
      throw new IOException(a.name() + " is not bundled: convert the published checkpoint with `saim convert "
          + "<downloaded .pth> " + a.fileName() + "` and pass -Dsaim.zoo." + a.name() + ".file=<that file>, or set "
          + "saim.zoo." + a.name() + ".url (or SAIM_ZOO_MIRROR) and saim.zoo." + a.name() + ".sha256");
    }
    Path cached = cache.cached(a.fileName(), sha);
    return cached != null ? cached : cache.fetch(a.fileName(), sha, url);
  }

  private static Path userFile(ZooArtifact a) {
    String f = System.getProperty("saim.zoo." + a.name() + ".file");
    return f == null ? null : Path.of(f);
  }

  private static String sha(ZooArtifact a) {
    String s = System.getProperty("saim.zoo." + a.name() + ".sha256");
    return s != null ? s.toLowerCase(Locale.ROOT) : a.sha256();
  }

  private static URI url(ZooArtifact a) {
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
}
