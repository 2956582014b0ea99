package io.github.saimjava.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataImageFolderTest {
  static void write(BufferedImage img, String format, Path file) throws Exception {
    Files.createDirectories(file.getParent());
    assertTrue(ImageIO.write(img, format, file.toFile()), "no writer for " + format);
  }

  static BufferedImage rgbPattern(int w, int h) {
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, (x * 40) << 16 | (y * 50) << 8 | (x + y) * 10);
      }
    }
    return img;
  }

  static BufferedImage solid(int w, int h, int type, int rgb) {
    BufferedImage img = new BufferedImage(w, h, type);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        img.setRGB(x, y, rgb);
      }
    }
    return img;
  }

  @Test
  void readsPngAndJpegInEveryLayoutWithExactValues(@TempDir Path dir) throws Exception {
    write(rgbPattern(5, 3), "png", dir.resolve("a_dogs/1_rgb.png"));
    BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(2, 1, 0, 200);
    gray.getRaster().setSample(3, 3, 0, 17);
    write(gray, "png", dir.resolve("a_dogs/2_gray.PNG"));
    BufferedImage rgba = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
    rgba.setRGB(0, 0, 0x000A141E); // fully transparent: the colour must survive
    rgba.setRGB(1, 0, 0x80FF8000);
    write(rgba, "png", dir.resolve("a_dogs/3_rgba.png"));
    byte[] r = {0, (byte) 255, 10, 1};
    byte[] g = {0, 0, 20, 2};
    byte[] b = {0, 0, 30, 3};
    BufferedImage palette =
        new BufferedImage(
            3, 1, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 4, r, g, b));
    palette.getRaster().setSample(0, 0, 0, 1);
    palette.getRaster().setSample(1, 0, 0, 2);
    palette.getRaster().setSample(2, 0, 0, 3);
    write(palette, "png", dir.resolve("b_cats/4_palette.png"));
    BufferedImage deep = new BufferedImage(2, 2, BufferedImage.TYPE_USHORT_GRAY);
    deep.getRaster().setSample(1, 0, 0, 0xABCD);
    write(deep, "png", dir.resolve("b_cats/5_gray16.png"));
    write(
        solid(16, 16, BufferedImage.TYPE_INT_RGB, 0xC86432),
        "jpg",
        dir.resolve("b_cats/deeper/6_rgb.jpg"));
    BufferedImage grayJpeg = new BufferedImage(16, 8, BufferedImage.TYPE_BYTE_GRAY);
    for (int i = 0; i < 16 * 8; i++) {
      grayJpeg.getRaster().setSample(i % 16, i / 16, 0, 77);
    }
    write(grayJpeg, "jpeg", dir.resolve("b_cats/deeper/7_gray.jpeg"));
    BufferedImage bits = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_BINARY);
    bits.getRaster().setSample(1, 0, 0, 1);
    write(bits, "png", dir.resolve("b_cats/8_bits.png"));
    Files.writeString(dir.resolve("b_cats/notes.txt"), "ignored");
    write(rgbPattern(2, 2), "png", dir.resolve("b_cats/.hidden.png"));
    write(rgbPattern(2, 2), "png", dir.resolve(".trash/x.png"));

    ImageFolderDataset d = ImageFolderDataset.open(dir);
    assertEquals(List.of("a_dogs", "b_cats"), d.classes());
    assertEquals(
        List.of(
            "1_rgb.png",
            "2_gray.PNG",
            "3_rgba.png",
            "4_palette.png",
            "5_gray16.png",
            "8_bits.png",
            "6_rgb.jpg",
            "7_gray.jpeg"),
        d.files().stream().map(p -> p.getFileName().toString()).toList());
    assertEquals(8, d.size());
    assertArrayEquals(
        new int[] {0, 0, 0, 1, 1, 1, 1, 1},
        java.util.stream.IntStream.range(0, 8).map(d::label).toArray());
    assertEquals(2, d.numClasses());
    assertEquals(dir + " (8 images in 2 classes)", d.describe());

    DecodedImage rgb = d.image(0);
    assertEquals(3, rgb.channels());
    assertEquals(5, rgb.width());
    assertEquals(3, rgb.height());
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 5; x++) {
        assertEquals(x * 40, rgb.at(x, y, 0));
        assertEquals(y * 50, rgb.at(x, y, 1));
        assertEquals((x + y) * 10, rgb.at(x, y, 2));
      }
    }
    DecodedImage g1 = d.image(1);
    assertEquals(1, g1.channels());
    assertEquals(200, g1.at(2, 1, 0));
    assertEquals(17, g1.at(3, 3, 0));
    assertEquals(0, g1.at(0, 0, 0));
    DecodedImage a = d.image(2);
    assertEquals(3, a.channels());
    assertArrayEquals(new byte[] {10, 20, 30, (byte) 255, (byte) 128, 0}, a.pixels());
    DecodedImage p = d.image(3);
    assertEquals(3, p.channels());
    assertArrayEquals(new byte[] {(byte) 255, 0, 0, 10, 20, 30, 1, 2, 3}, p.pixels());
    DecodedImage deepGray = d.image(4);
    assertEquals(1, deepGray.channels());
    assertArrayEquals(new byte[] {0, (byte) 0xAB, 0, 0}, deepGray.pixels());
    DecodedImage bw = d.image(5);
    assertEquals(1, bw.channels());
    assertArrayEquals(new byte[] {0, (byte) 255, 0}, bw.pixels());
    DecodedImage jpeg = d.image(6);
    assertEquals(3, jpeg.channels());
    for (int i = 0; i < 16 * 16; i++) {
      assertEquals(0xC8, jpeg.pixels()[3 * i] & 0xff, 3);
      assertEquals(0x64, jpeg.pixels()[3 * i + 1] & 0xff, 3);
      assertEquals(0x32, jpeg.pixels()[3 * i + 2] & 0xff, 3);
    }
    DecodedImage grayJ = d.image(7);
    assertEquals(1, grayJ.channels());
    assertEquals(16, grayJ.width());
    for (byte v : grayJ.pixels()) {
      assertEquals(77, v & 0xff, 1);
    }
    assertEquals(1, d.load(7).label());
    // grayscale becomes three equal channels
    DecodedImage g3 = g1.toRgb();
    assertEquals(200, g3.at(2, 1, 0));
    assertEquals(200, g3.at(2, 1, 1));
    assertEquals(200, g3.at(2, 1, 2));
    assertEquals(ImageFolderDataset.class, Datasets.open(dir).getClass());
  }

  static byte[] png(BufferedImage img) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "png", out);
    return out.toByteArray();
  }

  static byte[] jpeg(BufferedImage img) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(img, "jpeg", out);
    return out.toByteArray();
  }

  @Test
  void corruptImagesAreNamedErrorsOrSkippedAndCounted(@TempDir Path dir) throws Exception {
    write(solid(8, 8, BufferedImage.TYPE_INT_RGB, 0x112233), "png", dir.resolve("c/a.png"));
    Path garbage = Files.write(dir.resolve("c/b.png"), new byte[] {1, 2, 3, 4});
    byte[] png = png(rgbPattern(64, 64));
    Path cutPng = Files.write(dir.resolve("c/c.png"), Arrays.copyOf(png, png.length / 2));
    byte[] jpg = jpeg(rgbPattern(64, 64));
    Path cutJpeg = Files.write(dir.resolve("c/d.jpg"), Arrays.copyOf(jpg, jpg.length / 2));
    Path gif = dir.resolve("c/e.png");
    write(rgbPattern(4, 4), "gif", gif);
    write(solid(8, 8, BufferedImage.TYPE_INT_RGB, 0x445566), "png", dir.resolve("d/f.png"));

    ImageFolderDataset strict = ImageFolderDataset.open(dir);
    assertEquals(6, strict.size());
    assertEquals(
        garbage + ": not a supported image (JPEG or PNG expected)",
        assertThrows(IllegalArgumentException.class, () -> strict.image(1)).getMessage());
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> strict.image(2))
            .getMessage()
            .startsWith(cutPng + ": "));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> strict.image(3))
            .getMessage()
            .startsWith(cutJpeg + ": "));
    assertEquals(
        gif + ": unsupported image format gif (JPEG or PNG expected)",
        assertThrows(IllegalArgumentException.class, () -> strict.image(4)).getMessage());
    assertEquals(0, strict.skippedImages());

    ImageFolderDataset lenient = ImageFolderDataset.open(dir, true);
    assertEquals(0x11, lenient.load(0).image().at(0, 0, 0));
    LabeledImage standIn = lenient.load(1);
    // b, c, d and e are bad: f (class 1) stands in for all of them
    assertEquals(0x44, standIn.image().at(0, 0, 0));
    assertEquals(1, standIn.label());
    assertEquals(4, lenient.skippedImages());
    assertEquals(0x44, lenient.load(3).image().at(0, 0, 0));
    assertEquals(4, lenient.skippedImages());
    assertEquals(4, lenient.skippedFiles().size());
    assertTrue(lenient.skippedFiles().get(0).startsWith(garbage.toString()));
    assertEquals(0, lenient.label(1));

    Path gone = dir.resolve("c/gone.png");
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset.decode(gone))
            .getMessage()
            .startsWith(gone + ": cannot decode image (java.io.FileNotFoundException"));

    ImageDataset wrapped = Datasets.skippingBadImages(strict);
    assertEquals(0x44, wrapped.load(4).image().at(0, 0, 0));
    assertEquals(1, wrapped.skippedImages());
    assertEquals(0, strict.skippedImages());
  }

  @Test
  void bytesDecodeExactlyAsTheFileAndErrorsNameTheGivenName(@TempDir Path dir) throws Exception {
    write(rgbPattern(5, 3), "png", dir.resolve("a.png"));
    BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(2, 1, 0, 200);
    write(gray, "png", dir.resolve("b.png"));
    write(solid(16, 16, BufferedImage.TYPE_INT_RGB, 0xC86432), "jpg", dir.resolve("c.jpg"));
    for (String f : List.of("a.png", "b.png", "c.jpg")) {
      Path file = dir.resolve(f);
      DecodedImage fromFile = ImageFolderDataset.decode(file);
      DecodedImage fromBytes =
          ImageFolderDataset.decode(Files.readAllBytes(file), "hdfs://nn/" + f);
      assertEquals(fromFile.width(), fromBytes.width(), f);
      assertEquals(fromFile.height(), fromBytes.height(), f);
      assertEquals(fromFile.channels(), fromBytes.channels(), f);
      assertArrayEquals(fromFile.pixels(), fromBytes.pixels(), f);
    }
    assertEquals(
        "hdfs://nn/x.png: not a supported image (JPEG or PNG expected)",
        assertThrows(
                IllegalArgumentException.class,
                () -> ImageFolderDataset.decode(new byte[] {1, 2, 3}, "hdfs://nn/x.png"))
            .getMessage());
    byte[] png = png(rgbPattern(64, 64));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    ImageFolderDataset.decode(
                        Arrays.copyOf(png, png.length / 2), "s3a://b/cut.png"))
            .getMessage()
            .startsWith("s3a://b/cut.png: "));
  }

  @Test
  void emptyOrMissingFoldersSayWhatIsExpected(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("nope");
    assertEquals(
        missing + ": no such folder (expected " + missing + "/<class>/<image>.jpg|jpeg|png)",
        assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset.open(missing))
            .getMessage());
    assertEquals(
        dir
            + ": no images found, no class sub-folders (expected "
            + dir
            + "/<class>/<image>.jpg|jpeg|png)",
        assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset.open(dir))
            .getMessage());
    write(rgbPattern(2, 2), "png", dir.resolve("flat.png"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Datasets.open(dir))
            .getMessage()
            .contains("no class sub-folders"));
    Files.createDirectories(dir.resolve("cls"));
    Files.writeString(dir.resolve("cls/readme.txt"), "x");
    assertEquals(
        dir.resolve("cls")
            + ": no images found in this class folder (expected "
            + dir
            + "/<class>/<image>.jpg|jpeg|png)",
        assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset.open(dir))
            .getMessage());
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Datasets.open(missing))
            .getMessage()
            .startsWith(missing + ": no such file or folder (expected an image folder"));
  }
}
