/**
 * The public API of saim-java: configuration, permutation sampling, and the training, encoding and
 * classification builders. Everything a user calls is in {@code io.github.saimjava.api}; what an
 * implementation registers is in {@code io.github.saimjava.api.spi}. The builders find the
 * implementation (the module {@code io.github.saimjava.impl}) through {@link
 * java.util.ServiceLoader}, so a program requires this module only and adds the implementation at
 * run time.
 */
// DJL's jars are automatic modules (Automatic-Module-Name only), which javac's lint reports
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.github.saimjava.api {
  // Image, NDManager, Device and friends appear in the API's signatures; never DJL's PyTorch engine
  requires transitive ai.djl.api;
  // RawImage.of(BufferedImage)
  requires transitive java.desktop;
  requires static transitive org.jspecify;

  exports io.github.saimjava.api;
  exports io.github.saimjava.api.spi;

  uses io.github.saimjava.api.spi.SaimProvider;
  uses io.github.saimjava.api.spi.CheckpointImporter;
  uses io.github.saimjava.api.spi.ZooResolver;
}
