package io.github.saimjava.cli;

import io.github.saimjava.io.CheckpointConverter;
import io.github.saimjava.io.HostTensor;
import io.github.saimjava.io.TorchCheckpoint;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code saim convert IN.pth OUT.safetensors [--key model]}. */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = {
      "Converts a PyTorch checkpoint to safetensors, safely.",
      "Reads the zip or legacy torch.save format and writes safetensors with the",
      "reference's parameter names, without running any code from the file (fused attn.qkv is"
          + " split).",
      "Refused, broken or truncated input: a one-line reason, exit code 2, no output file."
    })
final class ConvertCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "IN",
      description = "The .pth checkpoint (or a safetensors file).")
  Path in;

  @Parameters(index = "1", paramLabel = "OUT", description = "The safetensors file to write.")
  Path out;

  @Option(
      names = "--key",
      description = "Where the state dict is when the root is not one (default: ${DEFAULT-VALUE}).")
  String key = TorchCheckpoint.DEFAULT_STATE_DICT_KEY;

  @Override
  public Integer call() throws Exception {
    PrintWriter o = spec.commandLine().getOut();
    Map<String, HostTensor> written =
        CheckpointConverter.convert(in, out, key, problem -> o.println("note: " + problem));
    o.printf("wrote %d tensors to %s%n", written.size(), out);
    o.flush();
    return 0;
  }
}
