package io.github.saimjava.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ReferenceCheckTest {
  static Path fixture(String name) throws URISyntaxException {
    return Path.of(ReferenceCheckTest.class.getResource("/fixtures/" + name).toURI());
  }

  @Test
  void sharedFixtureMatchesWithinTolerance() throws Exception {
    ReferenceCheck.Report r = ReferenceCheck.run(fixture("reference-tiny-mlp-blur.safetensors"));
    r.quantities().forEach(q -> System.out.printf("%-60s %.3e%n", q.name(), q.relativeError()));
    assertTrue(r.passed(), "max relative error " + r.maxRelativeError());
  }
}
