package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class VersionProviderTest {
  /** The project version as this module's pom.xml names its parent's. */
  private static String pomVersion() throws Exception {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher m =
        Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
    assertTrue(m.find(), "no parent version in pom.xml");
    return m.group(1);
  }

  @Test
  void versionPrintsTheProjectVersionFromTheBuild() throws Exception {
    CliTestSupport.Result r = CliTestSupport.run("--version");
    assertEquals(0, r.exitCode(), r.err());
    assertEquals("saim " + pomVersion(), r.out().strip());
  }
}
