package io.github.saimjava.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.saimjava.api.Precision;
import io.github.saimjava.api.SaimConfig;
import io.github.saimjava.api.SaimEncoder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EncoderSpecTest {
  static final SaimConfig CONFIG =
      SaimConfig.vitTiny().toBuilder().imageSize(32).patchSize(4).blur(3, 1).build();

  static EncoderSpec roundTrip(EncoderSpec spec) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(spec);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (EncoderSpec) in.readObject();
    }
  }

  @Test
  void survivesJavaSerialisationAsAnEqualKeyWithItsConfig() throws Exception {
    EncoderSpec spec =
        EncoderSpec.randomInit(CONFIG, 42)
            .pooling(SaimEncoder.Pooling.MEAN)
            .l2Normalize(true)
            .threads(2)
            .build();
    EncoderSpec copy = roundTrip(spec);
    assertEquals(spec, copy);
    assertEquals(spec.hashCode(), copy.hashCode());
    assertEquals(CONFIG, copy.config().orElseThrow());
    assertEquals(42, copy.seed());
    assertEquals(SaimEncoder.Pooling.MEAN, copy.pooling());
    assertEquals("random-init-seed-42", copy.defaultModelName());
    // any difference is another encoder
    assertNotEquals(
        spec,
        EncoderSpec.randomInit(CONFIG, 43)
            .pooling(SaimEncoder.Pooling.MEAN)
            .l2Normalize(true)
            .threads(2)
            .build());
    assertNotEquals(
        spec,
        EncoderSpec.randomInit(CONFIG, 42).pooling(SaimEncoder.Pooling.MEAN).threads(2).build());
    EncoderSpec block1 =
        EncoderSpec.randomInit(CONFIG, 42).pooling(SaimEncoder.Pooling.CLS_MEAN).layer(1).build();
    assertEquals(1, roundTrip(block1).layer());
    assertEquals(SaimEncoder.Pooling.CLS_MEAN, roundTrip(block1).pooling());
    assertEquals(block1, roundTrip(block1));
    assertNotEquals(
        block1, EncoderSpec.randomInit(CONFIG, 42).pooling(SaimEncoder.Pooling.CLS_MEAN).build());
    EncoderSpec bf16 = EncoderSpec.randomInit(CONFIG, 42).precision(Precision.BF16).build();
    assertEquals(Precision.BF16, roundTrip(bf16).precision());
    assertEquals(bf16, roundTrip(bf16));
    assertEquals(Precision.FP32, EncoderSpec.randomInit(CONFIG, 42).build().precision());
    assertNotEquals(bf16, EncoderSpec.randomInit(CONFIG, 42).build());
    assertEquals(
        "EncoderSpec[random-init seed 42, pooling cls, 1 thread(s), bf16, ",
        bf16.toString().substring(0, bf16.toString().indexOf("bf16, ") + 6));
    assertEquals(
        roundTrip(EncoderSpec.zoo("saim_vit_micro_patch4_32_fmnist").build()),
        EncoderSpec.zoo("saim_vit_micro_patch4_32_fmnist").build());
  }

  @Test
  void defaultModelNamesAndValidation() {
    assertEquals(
        "final.safetensors",
        EncoderSpec.checkpoint("hdfs://nn/runs/a/final.safetensors").build().defaultModelName());
    assertEquals(
        "saim_vit_micro_patch4_32_fmnist",
        EncoderSpec.zoo("saim_vit_micro_patch4_32_fmnist").build().defaultModelName());
    assertEquals(
        "layer (-1) must be 0 (the last block) or a block, 1 or more",
        assertThrows(IllegalArgumentException.class, () -> EncoderSpec.zoo("x").layer(-1).build())
            .getMessage());
    assertEquals(
        "threads (0) must be positive",
        assertThrows(IllegalArgumentException.class, () -> EncoderSpec.zoo("x").threads(0).build())
            .getMessage());
    assertEquals(
        "the checkpoint location is empty",
        assertThrows(IllegalArgumentException.class, () -> EncoderSpec.checkpoint(" ").build())
            .getMessage());
    String unknown =
        assertThrows(IllegalArgumentException.class, () -> EncoderSpec.zoo("nope").build())
            .getMessage();
    assertEquals(
        "unknown zoo model 'nope' (known: ", unknown.substring(0, unknown.indexOf(": ") + 2));
    assertEquals(
        "a zoo model (saim_vit_micro_patch4_32_fmnist) brings its own architecture: give no config",
        assertThrows(
                IllegalArgumentException.class,
                () -> EncoderSpec.zoo("saim_vit_micro_patch4_32_fmnist").config(CONFIG).build())
            .getMessage());
  }

  @Test
  void checkpointLocationsBecomeLocalFiles(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("final.safetensors"), "weights");
    Configuration conf = new Configuration(false);
    assertEquals(file, Checkpoints.local(file.toString(), conf));
    assertEquals(file, Checkpoints.local(file.toUri().toString(), conf));
    Path missing = dir.resolve("gone.safetensors");
    assertEquals(
        missing
            + ": no such checkpoint on this machine; put it where every executor can read it, give "
            + "an hdfs:// or s3a:// URI, or ship it with spark-submit --files",
        assertThrows(
                IllegalArgumentException.class, () -> Checkpoints.local(missing.toString(), conf))
            .getMessage());

    // a file system of another scheme (as hdfs:// or s3a:// would be): copied to a local file, name
    // kept
    conf.set("fs.other.impl", OtherFileSystem.class.getName());
    conf.setBoolean("fs.other.impl.disable.cache", true);
    Path copy = Checkpoints.local("other://" + file, conf);
    assertNotEquals(file, copy);
    assertEquals("final.safetensors", copy.getFileName().toString());
    assertEquals("weights", Files.readString(copy));
    assertEquals(
        "other://" + missing + ": no such checkpoint",
        assertThrows(
                IllegalArgumentException.class, () -> Checkpoints.local("other://" + missing, conf))
            .getMessage());
  }

  /** The local file system under the scheme {@code other}, standing in for a remote one. */
  public static final class OtherFileSystem extends RawLocalFileSystem {
    @Override
    public URI getUri() {
      return URI.create("other:///");
    }

    @Override
    public String getScheme() {
      return "other";
    }
  }
}
