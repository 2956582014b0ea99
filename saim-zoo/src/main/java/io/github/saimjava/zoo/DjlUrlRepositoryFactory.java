package io.github.saimjava.zoo;

import ai.djl.repository.MRL;
import ai.djl.repository.RemoteRepository;
import ai.djl.repository.Repository;
import ai.djl.repository.RepositoryFactory;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelZoo;
import java.net.URI;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Resolves {@code djl://} model URLs, so that {@code Criteria.builder().optModelUrls(
 * "djl://io.github.saimjava/saim_vit_micro_patch4_32_fmnist")} loads a model of this zoo from the
 * verified local cache (offline for bundled or cached artifacts) instead of DJL's hub.
 *
 * <p>DJL picks one factory per URL scheme and lets a factory found by {@link
 * java.util.ServiceLoader} replace its own, so this class answers for <em>every</em> {@code djl://}
 * URL. URLs of any other group are handled as DJL 0.36 does: a {@link RemoteRepository} on {@value
 * #DJL_HUB} holding the model {@code djl://GROUP/ARTIFACT[/VERSION[/NAME]]} of the group's model
 * zoo, with the query string passed on to the hub.
 *
 * <p>URLs of this zoo name an artifact and nothing else: {@code djl://io.github.saimjava/NAME}. The
 * artifacts are pinned by SHA-256 rather than versioned, so a version (or artifact name) segment or
 * a query string is refused with a message saying so.
 */
public final class DjlUrlRepositoryFactory implements RepositoryFactory {
  /** Where DJL's own {@code djl://} URLs point. */
  public static final String DJL_HUB = "https://mlrepo.djl.ai/";

  // ARTIFACT/VERSION[/NAME], VERSION made of digits and dots, as DJL splits the path of a djl://
  // URL
  private static final Pattern VERSIONED = Pattern.compile("(.+)/([0-9.]+)(?:/(.*))?");

  /** Public for {@link java.util.ServiceLoader}. */
  public DjlUrlRepositoryFactory() {}

  @Override
  public Repository newInstance(String name, URI uri) {
    if (SaimZoo.GROUP_ID.equals(uri.getHost())) {
      return zooRepository(name, uri);
    }
    return hubRepository(name, uri);
  }

  @Override
  public Set<String> getSupportedScheme() {
    return Set.of("djl");
  }

  private static Repository zooRepository(String name, URI uri) {
    String path = artifactPath(uri);
    if (path == null) {
      throw new IllegalArgumentException(
          "Invalid djl URL: "
              + uri
              + " (use djl://"
              + SaimZoo.GROUP_ID
              + "/NAME, NAME one of "
              + String.join(", ", SaimZoo.artifacts().keySet())
              + ")");
    }
    if (uri.getRawQuery() != null) {
      throw new IllegalArgumentException(
          uri + ": saim-zoo URLs take no query string (use djl://" + SaimZoo.GROUP_ID + "/NAME)");
    }
    Matcher m = VERSIONED.matcher(path);
    if (m.matches()) {
      throw new IllegalArgumentException(
          uri
              + ": saim-zoo artifacts have no versions (each is pinned by "
              + "its SHA-256); use djl://"
              + SaimZoo.GROUP_ID
              + "/"
              + m.group(1));
    }
    ZooArtifact artifact = SaimZoo.artifacts().get(path);
    if (artifact == null) {
      throw new IllegalArgumentException(
          "unknown zoo model '"
              + path
              + "' in "
              + uri
              + " (known: "
              + String.join(", ", SaimZoo.artifacts().keySet())
              + ")");
    }
    return new ZooRepository(name, uri, artifact, ArtifactCache.defaultCache());
  }

  /** What DJL 0.36 does with a {@code djl://} URL, through its public API. */
  private static Repository hubRepository(String name, URI uri) {
    String query = uri.getQuery();
    RemoteRepository repo =
        new RemoteRepository(name, URI.create(query == null ? DJL_HUB : DJL_HUB + "?" + query));
    String groupId = uri.getHost();
    String artifactId = artifactPath(uri);
    if (groupId == null || artifactId == null) {
      throw new IllegalArgumentException("Invalid djl URL: " + uri);
    }
    String version = null;
    String artifactName = null;
    Matcher m = VERSIONED.matcher(artifactId);
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

  /** The path of the URL without its leading slash; null when empty. */
  private static @Nullable String artifactPath(URI uri) {
    String p = uri.getPath();
    if (p == null) {
      p = uri.getSchemeSpecificPart();
    }
    if (p.startsWith("/")) {
      p = p.substring(1);
    }
    return p.isEmpty() ? null : p;
  }
}
