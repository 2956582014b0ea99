/**
 * A DJL model zoo of pretrained SAIM encoders and classifiers. Programs use it through DJL ({@code
 * Criteria} with the group id {@code io.github.saimjava}) or through the API ({@code
 * SaimEncoder.builder().zoo(name)}, which finds {@link io.github.saimjava.api.spi.ZooResolver}).
 * Its one package is exported to DJL alone: a {@code djl://} URL loads through the factories that
 * the zoo's {@code serving.properties} names by class, which DJL instantiates by reflection
 * (ZooModulePathTest fails without the export).
 */
// DJL's jars are automatic modules (Automatic-Module-Name only), which javac's lint reports
@SuppressWarnings("requires-automatic")
module io.github.saimjava.zoo {
  requires io.github.saimjava.api;
  requires ai.djl.api;
  requires static org.jspecify;

  exports io.github.saimjava.zoo to
      ai.djl.api;

  provides ai.djl.repository.zoo.ZooProvider with
      io.github.saimjava.zoo.SaimModelZoo.Provider;
  provides ai.djl.repository.RepositoryFactory with
      io.github.saimjava.zoo.DjlUrlRepositoryFactory;
  provides io.github.saimjava.api.spi.ZooResolver with
      io.github.saimjava.zoo.SaimZoo;
}
