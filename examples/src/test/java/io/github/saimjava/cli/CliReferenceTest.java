package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/cli-reference.md is what the program's own model of its commands generates now. */
class CliReferenceTest {
  @Test
  void theCommittedPageIsTheGeneratedOne() throws Exception {
    String generated = CliReference.markdown();
    Path fresh = Path.of("target/cli-reference.md");
    Files.createDirectories(fresh.getParent());
    Files.writeString(fresh, generated);
    assertEquals(
        generated,
        Files.readString(Path.of("../docs/cli-reference.md")),
        "docs/cli-reference.md is out of date: copy examples/target/cli-reference.md over it");
  }
}
