package io.github.saimjava.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckReferenceCommandTest {
  @Test
  void sharedFixturePassesAndEndsWithTheContractLine() {
    CliTestSupport.Result r =
        CliTestSupport.run("check-reference", CliTestSupport.FIXTURE.toString());
    assertEquals(0, r.exitCode(), r.out() + r.err());
    assertTrue(
        Pattern.matches(
            "max relative error \\d\\.\\d{3}e-\\d\\d \\(tolerance 1e-05\\)", r.lastLine()),
        r.lastLine());
    for (String q :
        new String[] {
          "mask_content",
          "mask_query",
          "content_last_block",
          "query_last_block",
          "prediction",
          "target",
          "loss",
          "worst gradient",
          "worst parameter after step"
        }) {
      assertTrue(r.out().contains(q), q);
    }
  }

  @Test
  void fixtureMissingATensorIsNamedWithExitCode2(@TempDir Path dir) throws Exception {
    SafeTensors.Contents c = SafeTensors.read(CliTestSupport.FIXTURE);
    Map<String, HostTensor> t = new LinkedHashMap<>(c.tensors());
    t.remove("out.query_last_block");
    Path broken = dir.resolve("broken.safetensors");
    SafeTensors.write(broken, t, c.metadata());
    CliTestSupport.Result r = CliTestSupport.run("check-reference", broken.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("missing tensor 'out.query_last_block'"), r.err());
    assertTrue(r.err().contains("broken.safetensors"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
  }

  @Test
  void missingParameterIsReportedByName(@TempDir Path dir) throws Exception {
    SafeTensors.Contents c = SafeTensors.read(CliTestSupport.FIXTURE);
    Map<String, HostTensor> t = new LinkedHashMap<>(c.tensors());
    t.remove("param.blocks.1.mlp.fc2.bias");
    Path broken = dir.resolve("broken.safetensors");
    SafeTensors.write(broken, t, c.metadata());
    CliTestSupport.Result r = CliTestSupport.run("check-reference", broken.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("missing [blocks.1.mlp.fc2.bias]"), r.err());
  }

  @Test
  void invalidConfigIsNamed(@TempDir Path dir) throws Exception {
    SafeTensors.Contents c = SafeTensors.read(CliTestSupport.FIXTURE);
    Map<String, String> meta = new LinkedHashMap<>(c.metadata());
    meta.put("config", meta.get("config").replace("\"query_depth\": 2", "\"query_depth\": 3"));
    Path broken = dir.resolve("bad-config.safetensors");
    SafeTensors.write(broken, c.tensors(), meta);
    CliTestSupport.Result r = CliTestSupport.run("check-reference", broken.toString());
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("query depth (3) must divide depth (4)"), r.err());
  }

  @Test
  void notASafetensorsFileIsAOneLineError(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.safetensors"), "hello");
    CliTestSupport.Result r = CliTestSupport.run("check-reference", junk.toString());
    assertEquals(2, r.exitCode());
    assertEquals(1, r.err().strip().lines().count(), r.err());
    assertTrue(r.err().contains("junk.safetensors"), r.err());
  }

  @Test
  void helpListsTheCommands() {
    CliTestSupport.Result r = CliTestSupport.run("--help");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("check-reference"), r.out());
  }
}
