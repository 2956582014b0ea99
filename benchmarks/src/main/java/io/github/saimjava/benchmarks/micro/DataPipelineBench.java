package io.github.saimjava.benchmarks.micro;

import io.github.saimjava.data.Datasets;
import io.github.saimjava.data.DecodedImage;
import io.github.saimjava.data.IdxDataset;
import io.github.saimjava.data.ImageFolderDataset;
import io.github.saimjava.data.ImageTransform;
import io.github.saimjava.data.Transforms;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Images decoded and augmented per second on one thread (JMH's throughput mode, one image per
 * operation): the embedded Fashion-MNIST images through pad + flip (the small recipe), and a 375 x
 * 500 JPEG (an ImageNet-sized photo) decoded and put through RandomResizedCrop + flip to 224 px.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DataPipelineBench {
  private IdxDataset fashion;
  private ImageTransform padFlip;
  private ImageTransform rrcFlip;
  private byte[] jpeg;
  private float[] out32;
  private float[] out224;
  private int index;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    fashion = Datasets.embeddedTrain();
    padFlip = Transforms.padFlip(32, 3);
    rrcFlip = Transforms.randomResizedCropFlip(224, 3);
    out32 = new float[padFlip.outputLength()];
    out224 = new float[rrcFlip.outputLength()];
    // a smooth photo-like test card with noise, so the JPEG is of a realistic size
    BufferedImage b = new BufferedImage(500, 375, BufferedImage.TYPE_INT_RGB);
    SplittableRandom r = new SplittableRandom(1);
    for (int y = 0; y < 375; y++) {
      for (int x = 0; x < 500; x++) {
        int red = (x * 255 / 500 + r.nextInt(24)) & 0xff;
        int green = (y * 255 / 375 + r.nextInt(24)) & 0xff;
        int blue = ((x + y) * 255 / 875 + r.nextInt(24)) & 0xff;
        b.setRGB(x, y, red << 16 | green << 8 | blue);
      }
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(b, "jpg", bytes);
    jpeg = bytes.toByteArray();
  }

  @Benchmark
  public float fashionMnistPadFlip() {
    int i = index++ % fashion.size();
    padFlip.apply(fashion.image(i), 0, 0, i, out32, 0);
    return out32[0];
  }

  @Benchmark
  public float jpegDecodeRandomResizedCropFlip224() {
    DecodedImage img = ImageFolderDataset.decode(jpeg, "card.jpg");
    rrcFlip.apply(img, 0, 0, index++, out224, 0);
    return out224[0];
  }
}
