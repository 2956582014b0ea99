package io.github.saimjava.zoo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a file is, from its first bytes: the converter picks the reader by extension, users pick
 * names freely.
 */
final class FileKind {
  private FileKind() {}

  /**
   * {@code "safetensors"} (a little-endian header length, then JSON), {@code "html: <title>"} for
   * an HTML page, else {@code "pth"} (left to the checkpoint reader to accept or refuse).
   */
  static String of(Path file) throws IOException {
    byte[] head;
    try (InputStream in = Files.newInputStream(file)) {
      head = in.readNBytes(4096);
    }
    if (HtmlPage.looksLikeHtml(head, head.length)) {
      return "html: " + HtmlPage.describe(new String(head, StandardCharsets.UTF_8));
    }
    if (head.length >= 9 && head[8] == '{') {
      long n = 0;
      for (int i = 7; i >= 0; i--) {
        n = (n << 8) | (head[i] & 0xff);
      }
      if (n > 1 && n < Files.size(file)) {
        return "safetensors";
      }
    }
    return "pth";
  }
}
