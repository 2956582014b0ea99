package io.github.saimjava.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.jspecify.annotations.Nullable;

/**
 * Sequential bytes for the unpickler: either an in-memory record or a region of a file read through
 * a small buffer. It knows how many bytes remain, so callers check every declared length against it
 * before allocating. Callers must never ask for more than {@link #remaining()}.
 */
final class PickleInput {
  private static final int BUFFER_BYTES = 64 * 1024;

  private final @Nullable FileChannel channel;
  private final long start;
  private final long length;
  private final ByteBuffer buf;

  /** Logical position of {@code buf}'s first byte. */
  private long bufStart;

  private long pos;

  private PickleInput(@Nullable FileChannel channel, long start, long length, ByteBuffer buf) {
    this.channel = channel;
    this.start = start;
    this.length = length;
    this.buf = buf;
  }

  /** All of {@code bytes}. */
  static PickleInput ofBytes(byte[] bytes) {
    return new PickleInput(null, 0, bytes.length, ByteBuffer.wrap(bytes));
  }

  /** {@code length} bytes of {@code channel} from absolute position {@code start}. */
  static PickleInput ofChannel(FileChannel channel, long start, long length) {
    ByteBuffer b = ByteBuffer.allocate(BUFFER_BYTES);
    b.limit(0);
    return new PickleInput(channel, start, length, b);
  }

  /** Bytes consumed so far. */
  long position() {
    return pos;
  }

  /** Bytes left. */
  long remaining() {
    return length - pos;
  }

  /** The next byte, 0 to 255; requires {@code remaining() >= 1}. */
  int read() throws IOException {
    ensure();
    int b = buf.get((int) (pos - bufStart)) & 0xff;
    pos++;
    return b;
  }

  /** Fills {@code dst}; requires {@code remaining() >= dst.length}. */
  void readFully(byte[] dst) throws IOException {
    int off = 0;
    while (off < dst.length) {
      ensure();
      int inBuf = (int) (bufStart + buf.limit() - pos);
      int n = Math.min(inBuf, dst.length - off);
      buf.position((int) (pos - bufStart));
      buf.get(dst, off, n);
      off += n;
      pos += n;
    }
  }

  /** Moves forward {@code n} bytes; requires {@code 0 <= n <= remaining()}. */
  void skip(long n) {
    pos += n;
  }

  /** Makes the byte at {@code pos} available in {@code buf}. */
  private void ensure() throws IOException {
    if (pos >= length) {
      throw new IllegalStateException("read past the end of the input");
    }
    if (pos >= bufStart && pos < bufStart + buf.limit()) {
      return;
    }
    FileChannel ch = channel;
    if (ch == null) {
      throw new IllegalStateException("in-memory input exhausted");
    }
    buf.clear();
    buf.limit((int) Math.min(buf.capacity(), length - pos));
    long at = start + pos;
    while (buf.hasRemaining()) {
      int n = ch.read(buf, at);
      if (n < 0) {
        throw new IOException(
            "file ended at byte " + at + " while reading it (was it truncated meanwhile?)");
      }
      at += n;
    }
    buf.flip();
    bufStart = pos;
  }
}
