package io.github.saimjava.zoo;

import ai.djl.Application;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.BaseModelLoader;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooProvider;
import java.util.Set;

/** A stand-in for another library's model zoo, to check that its djl:// URLs still go to DJL's hub. */
public final class OtherTestZoo extends ModelZoo {
  static final String GROUP_ID = "org.example.otherzoo";

  @SuppressWarnings("this-escape")
  public OtherTestZoo() {
    Repository repo = Repository.newInstance("other", "https://example.org/unused/");
    addModel(new BaseModelLoader(MRL.model(repo, Application.CV.IMAGE_CLASSIFICATION, GROUP_ID, "resnet_like", "0.0.1", "resnet_like")));
  }

  @Override
  public String getGroupId() {
    return GROUP_ID;
  }

  @Override
  public Set<String> getSupportedEngines() {
    return Set.of("PyTorch");
  }

  /** Found by ServiceLoader in the tests. */
  public static final class Provider implements ZooProvider {
    @Override
    public ModelZoo getModelZoo() {
      return new OtherTestZoo();
    }
  }
}
