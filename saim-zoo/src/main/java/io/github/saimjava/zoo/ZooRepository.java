package io.github.saimjava.zoo;

import ai.djl.Application;
import ai.djl.repository.AbstractRepository;
import ai.djl.repository.Artifact;
import ai.djl.repository.MRL;
import ai.djl.repository.Metadata;
import ai.djl.util.Progress;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One artifact of the zoo as a DJL repository, for {@code djl://io.github.saimjava/NAME}. Preparing
 * it obtains the verified weights exactly as {@link SaimZoo#weights} does (bundled, cached, a
 * user-named file, or a verified download) and materialises a DJL model directory in the cache,
 * {@code <cache>/djl/NAME/}: the weights (a hard link to the cached file, a copy where links are
 * not possible) and a {@code serving.properties} that names the engine, {@link SaimBlockFactory},
 * {@link SaimTranslatorFactory} and {@code option.hasParameter=false} (the weights are loaded by
 * the block factory, not from a DJL {@code .params} file). DJL's model loader does the rest.
 */
final class ZooRepository extends AbstractRepository {
  static final String ARTIFACT_KEY = "saimArtifact";
  static final String WEIGHTS_KEY = "saimWeights";

  private final ZooArtifact artifact;
  private final ArtifactCache cache;
  private final Metadata metadata;
  private final MRL mrl;

  @SuppressWarnings("this-escape")
  ZooRepository(String name, URI uri, ZooArtifact artifact, ArtifactCache cache) {
    super(name, uri);
    this.artifact = artifact;
    this.cache = cache;
    metadata = new Metadata.MatchAllMetadata();
    metadata.setGroupId(SaimZoo.GROUP_ID);
    metadata.setArtifactId(artifact.name());
    metadata.setDescription(artifact.description());
    metadata.setRepositoryUri(URI.create(artifact.name() + "/"));
    Artifact a = new Artifact();
    a.setName(artifact.name());
    // DJL's loader picks the translator factory before it reads serving.properties, so it must be
    // an argument of the artifact itself
    a.getArguments().put("translatorFactory", SaimTranslatorFactory.class.getName());
    Map<String, Artifact.Item> files = new LinkedHashMap<>();
    for (String f : List.of("serving.properties", artifact.fileName())) {
      Artifact.Item item = new Artifact.Item();
      item.setName(f);
      item.setType("file");
      files.put(f, item);
    }
    a.setFiles(files);
    metadata.setArtifacts(List.of(a));
    mrl = model(Application.UNDEFINED, SaimZoo.GROUP_ID, artifact.name());
  }

  @Override
  public boolean isRemote() {
    return false;
  }

  @Override
  public Metadata locate(MRL mrl) {
    return metadata;
  }

  @Override
  public @Nullable Artifact resolve(MRL mrl, Map<String, String> filter) {
    return metadata.getArtifacts().get(0);
  }

  /** {@code <cache>/djl}. */
  @Override
  public Path getCacheDirectory() {
    return cache.dir().resolve("djl");
  }

  @Override
  public Path getResourceDirectory(Artifact artifact) {
    return getCacheDirectory().resolve(this.artifact.name());
  }

  @Override
  protected URI resolvePath(Artifact.Item item, String path) {
    return getResourceDirectory(item.getArtifact()).resolve(item.getName()).toUri();
  }

  @Override
  public List<MRL> getResources() {
    return List.of(mrl);
  }

  /**
   * Materialises the model directory; every call checks it, so a cache cleared or a weights file
   * replaced in between is repaired rather than trusted.
   */
  @Override
  public void prepare(Artifact a, @Nullable Progress progress) throws IOException {
    Path weights = new SaimZoo(cache).weights(artifact);
    Path dir = getResourceDirectory(a);
    Files.createDirectories(dir);
    Path linked = dir.resolve(artifact.fileName());
    if (!(Files.exists(linked)
        && (Files.isSameFile(linked, weights) || Files.mismatch(linked, weights) == -1))) {
      Path tmp = Files.createTempFile(dir, artifact.fileName(), ".part");
      Files.delete(tmp);
      try {
        Files.createLink(tmp, weights);
      } catch (IOException | UnsupportedOperationException e) {
        // another file system (a user-named file) or no hard links: a copy, made under a temporary
        // name
        Files.copy(weights, tmp, StandardCopyOption.REPLACE_EXISTING);
      }
      replace(tmp, linked);
    }
    byte[] props = servingProperties().getBytes(StandardCharsets.ISO_8859_1);
    Path serving = dir.resolve("serving.properties");
    if (!(Files.isRegularFile(serving) && Arrays.equals(Files.readAllBytes(serving), props))) {
      Path tmp = Files.createTempFile(dir, "serving.properties", ".part");
      Files.write(tmp, props);
      replace(tmp, serving);
    }
  }

  /** The file's text: a pure function of the artifact, so an unchanged directory is left alone. */
  private String servingProperties() {
    // zoo names and file names are plain identifiers, nothing that .properties syntax would need to
    // escape
    return "# written by saim-zoo for djl://"
        + SaimZoo.GROUP_ID
        + "/"
        + artifact.name()
        + "\n"
        + "engine=PyTorch\n"
        + "blockFactory="
        + SaimBlockFactory.class.getName()
        + "\n"
        + "translatorFactory="
        + SaimTranslatorFactory.class.getName()
        + "\n"
        + ARTIFACT_KEY
        + "="
        + artifact.name()
        + "\n"
        + WEIGHTS_KEY
        + "="
        + artifact.fileName()
        + "\n"
        + "option.hasParameter=false\n";
  }

  private static void replace(Path tmp, Path target) throws IOException {
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public String toString() {
    return "djl://"
        + SaimZoo.GROUP_ID
        + "/"
        + artifact.name()
        + " (saim-zoo, cache "
        + cache.dir()
        + ")";
  }
}
