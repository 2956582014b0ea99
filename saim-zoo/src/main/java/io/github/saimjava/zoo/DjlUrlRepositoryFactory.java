package io.github.saimjava.zoo;

import ai.djl.repository.MRL;
import ai.djl.repository.RemoteRepository;
import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelZoo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Resolves {@code djl://} URLs, so that {@code Criteria.builder().optModelUrls(
 * "djl://io.github.saimjava/saim_vit_micro_patch4_32_fmnist")} loads a SAIM encoder.
 *
 * <p>DJL reads repository factories through {@link java.util.ServiceLoader} after its own, so this
 * one takes over the {@code djl} scheme. URLs of the group {@value SaimZoo#GROUP_ID} are served from
 * this zoo (bundled, cached or downloaded and verified as {@link SaimZoo} does). Every other group is
 * sent where DJL sends it: a {@link RemoteRepository} on DJL's model hub holding the model named by
 * that group's {@link ModelZoo}, with the same version and artifact-name forms
 * ({@code djl://group/artifact[/version[/name]]}).
 *
 * <p>A SAIM URL may carry encoder options as a query: {@code ?pooling=cls|mean}, {@code &l2=true|false}
 * and {@code &threads=N}. The model it loads maps {@code Image} to {@code float[]}.
 */
public final class DjlUrlRepositoryFactory implements RepositoryFactory {
  /** DJL's model hub, where {@code djl://} URLs of other groups point. */
  static final String DJL_HUB = "https://mlrepo.djl.ai/";

  /** {@code artifact/version[/name]}: a version is dotted digits. */
  private static final Pattern VERSIONED = Pattern.compile("(.+)/([\\d.]+)(?:/(.*))?");

  private static final Set<String> OPTIONS = Set.of("pooling", "l2", "threads");

  /** Public for {@link java.util.ServiceLoader}. */
  public DjlUrlRepositoryFactory() {}

  @Override
  public Repository newInstance(String name, URI uri) {
    String groupId = uri.getHost();
    String path = uri.getPath() == null ? "" : uri.getPath();
    String artifact = path.startsWith("/") ? path.substring(1) : path;
    if (groupId == null || artifact.isEmpty()) {
      throw new IllegalArgumentException("Invalid djl URL: " + uri + " (expected djl://group/artifact)");
    }
    if (SaimZoo.GROUP_ID.equals(groupId)) {
      return saimRepository(name, uri, artifact);
    }
    return hubRepository(name, uri, groupId, artifact);
  }

  @Override
  public Set<String> getSupportedScheme() {
    return Set.of("djl");
  }

  private static Repository saimRepository(String name, URI uri, String artifact) {
    if (artifact.contains("/")) {
      throw new IllegalArgumentException("Invalid djl URL: " + uri + ": saim-zoo artifacts have no "
          + "versions, use djl://" + SaimZoo.GROUP_ID + "/<name>");
    }
    if (!SaimZoo.artifacts().containsKey(artifact)) {
      throw new IllegalArgumentException("Invalid djl URL: " + uri + ": no saim-zoo artifact named '"
          + artifact + "'; known: " + SaimZoo.artifacts().keySet());
    }
    Map<String, String> args = new LinkedHashMap<>();
    args.put("translatorFactory", SaimTranslatorFactory.class.getName());
    args.put("blockFactory", SaimBlockFactory.class.getName());
    args.put(SaimBlockFactory.ARTIFACT, artifact);
    args.putAll(encoderOptions(uri));
    Path dir = modelDirectory(artifact);
    StringBuilder query = new StringBuilder();
    for (Map.Entry<String, String> e : args.entrySet()) {
      query.append(query.length() == 0 ? '?' : '&').append(e.getKey()).append('=')
          .append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
    }
    // DJL hands the query of a local repository's URI to its artifact as arguments: that is how the
    // block and translator factories learn which artifact to build
    return Repository.newInstance(name, dir.toUri() + query.toString());
  }

  private static Map<String, String> encoderOptions(URI uri) {
    Map<String, String> options = new LinkedHashMap<>();
    String query = uri.getRawQuery();
    if (query == null || query.isEmpty()) {
      return options;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? pair : pair.substring(0, eq);
      String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (!OPTIONS.contains(key)) {
        throw new IllegalArgumentException("Invalid djl URL: " + uri + ": unknown option '" + key
            + "'; a saim-zoo URL takes " + OPTIONS);
      }
      options.put(key, value);
    }
    SaimBlockFactory.checkOptions(options, uri.toString());
    return options;
  }

  /**
   * A folder in the artifact cache that DJL loads as the model's directory: it holds only the
   * {@code serving.properties} that names the engine and tells DJL the weights are not in its own
   * parameter format (the block factory loads them from the zoo).
   */
  private static Path modelDirectory(String artifact) {
    Path dir = ArtifactCache.defaultCache().dir().resolve("djl").resolve(artifact);
    String properties = "engine=PyTorch\noption.hasParameter=false\n";
    Path file = dir.resolve("serving.properties");
    try {
      if (Files.isRegularFile(file)
          && Files.readString(file, StandardCharsets.UTF_8).equals(properties)) {
        return dir;
      }
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "serving", ".part");
      try {
        Files.writeString(tmp, properties, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the model folder " + dir + " for the djl URL of "
          + artifact + ": " + e.getMessage(), e);
    }
  }

  /** What DJL itself does with a {@code djl://} URL: the named zoo's model on DJL's hub. */
  private static Repository hubRepository(String name, URI uri, String groupId, String artifact) {
    String query = uri.getRawQuery();
    RemoteRepository repo = new RemoteRepository(name, URI.create(query == null ? DJL_HUB : DJL_HUB + "?" + query));
    String artifactId = artifact;
    @Nullable String version = null;
    @Nullable String artifactName = null;
    Matcher m = VERSIONED.matcher(artifact);
    if (m.matches()) {
      artifactId = m.group(1);
      version = m.group(2);
      artifactName = m.group(3);
    }
    ModelZoo zoo = ModelZoo.getModelZoo(groupId);
    if (zoo == null) {
      throw new IllegalArgumentException("ModelZoo not found in classpath: " + groupId);
    }
    ModelLoader loader = zoo.getModelLoader(artifactId);
    if (loader == null) {
      throw new IllegalArgumentException("Invalid djl URL: " + uri);
    }
    MRL mrl = repo.model(loader.getApplication(), groupId, artifactId, version, artifactName);
    repo.addResource(mrl);
    return repo;
  }

  @Override
  public String toString() {
    return "djl:// URLs (" + SaimZoo.GROUP_ID + " from saim-zoo, other groups from " + DJL_HUB + ")";
  }
}
