package io.github.saimjava.zoo;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.repository.zoo.ZooProvider;
import ai.djl.util.Progress;
import io.github.saimjava.api.SaimClassifier;
import io.github.saimjava.api.SaimEncoder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * SAIM models as a DJL model zoo: {@code Criteria.builder().setTypes(Image.class, float[].class)
 * .optGroupId(SaimZoo.GROUP_ID).optArtifactId(name)} loads a {@link ZooModel} from images to
 * feature vectors (every artifact; a fine-tuned classifier's encoder with mean pooling through its
 * {@code fc_norm}), and {@code setTypes(Image.class, Classifications.class)} a classifier (the
 * fine-tuned and linear-probed artifacts).
 */
public final class SaimModelZoo extends ModelZoo {
  private static final Repository REPO =
      Repository.newInstance("saim-zoo", ArtifactCache.defaultCache().dir());

  public SaimModelZoo() {}

  /**
   * A loader per artifact known now (DJL keeps one zoo instance; the registry is read on each
   * call).
   */
  @Override
  public Collection<ModelLoader> getModelLoaders() {
    List<ModelLoader> loaders = new ArrayList<>();
    for (ZooArtifact a : SaimZoo.artifacts().values()) {
      loaders.add(new Loader(a));
    }
    return loaders;
  }

  @Override
  public @Nullable ModelLoader getModelLoader(String name) {
    ZooArtifact a = SaimZoo.artifacts().get(name);
    return a == null ? null : new Loader(a);
  }

  @Override
  public String getGroupId() {
    return SaimZoo.GROUP_ID;
  }

  @Override
  public Set<String> getSupportedEngines() {
    return Set.of("PyTorch");
  }

  /** Registers the zoo with DJL (found by {@link java.util.ServiceLoader}). */
  public static final class Provider implements ZooProvider {
    @Override
    public ModelZoo getModelZoo() {
      return new SaimModelZoo();
    }
  }

  static final class Loader implements ModelLoader {
    private final ZooArtifact artifact;

    Loader(ZooArtifact artifact) {
      this.artifact = artifact;
    }

    @Override
    public String getGroupId() {
      return SaimZoo.GROUP_ID;
    }

    @Override
    public String getArtifactId() {
      return artifact.name();
    }

    @Override
    public Application getApplication() {
      return Application.UNDEFINED;
    }

    @Override
    public MRL getMrl() {
      return MRL.undefined(REPO, SaimZoo.GROUP_ID, artifact.name());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
        throws IOException, ModelNotFoundException, MalformedModelException {
      boolean classifier = artifact.kind() != ZooArtifact.Kind.PRETRAINED;
      if (criteria.getInputClass() == Image.class
          && criteria.getOutputClass() == Classifications.class
          && classifier) {
        SaimClassifier c = SaimClassifier.builder().zoo(artifact.name()).build();
        return (ZooModel<I, O>) (ZooModel<?, ?>) c.toZooModel();
      }
      if (criteria.getInputClass() != Image.class || criteria.getOutputClass() != float[].class) {
        throw new ModelNotFoundException(
            artifact.name()
                + " maps Image to float[]"
                + (classifier ? " or Classifications" : "")
                + ", not "
                + criteria.getInputClass().getSimpleName()
                + " to "
                + criteria.getOutputClass().getSimpleName());
      }
      SaimEncoder encoder =
          SaimEncoder.builder().zoo(artifact.name()).pooling(pooling(artifact)).build();
      return (ZooModel<I, O>) (ZooModel<?, ?>) encoder.toZooModel();
    }

    /**
     * A fine-tuned (global-pool) model has {@code fc_norm} and no final norm: its features are the
     * pooled mean.
     */
    static SaimEncoder.Pooling pooling(ZooArtifact a) {
      return a.kind() == ZooArtifact.Kind.FINETUNED
          ? SaimEncoder.Pooling.MEAN
          : SaimEncoder.Pooling.CLS;
    }

    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
      return new SaimZoo().isAvailableOffline(artifact);
    }

    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress)
        throws IOException {
      new SaimZoo().weights(artifact);
    }

    @Override
    public String toString() {
      return SaimZoo.GROUP_ID + ":" + artifact.name();
    }
  }
}
