package io.github.saimjava.distributed;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.Buffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.jspecify.annotations.Nullable;

/**
 * The native libraries: {@code libsaim_gloo_jni.so}, loaded with {@link System#load}, and {@code
 * libsaim_gloo.so} (the Gloo side), which the former opens with {@code dlopen(RTLD_LOCAL |
 * RTLD_DEEPBIND)} so that its Gloo calls cannot bind to the copy of Gloo inside PyTorch's {@code
 * libtorch_cpu.so}. They are found in the folder named by the system property {@code
 * saim.gloo.native.dir}, else as class-path resources under {@code native/linux-x86_64/} (extracted
 * to a temporary folder when inside a jar).
 */
final class NativeGloo {
  static final String RESOURCES = "native/linux-x86_64/";
  static final String JNI = "libsaim_gloo_jni.so";
  static final String IMPL = "libsaim_gloo.so";

  private static final @Nullable String PROBLEM = load();

  private NativeGloo() {}

  /** Why the libraries cannot be used, or null when loaded. */
  static @Nullable String problem() {
    return PROBLEM;
  }

  private static @Nullable String load() {
    String arch = System.getProperty("os.arch");
    if (!System.getProperty("os.name").equals("Linux")
        || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      return "the Gloo library is built for Linux x86-64 only, this is "
          + System.getProperty("os.name")
          + " "
          + arch;
    }
    try {
      Path dir = folder();
      if (dir == null) {
        return "the native Gloo library is not on the class path ("
            + RESOURCES
            + JNI
            + "): it is built only where g++ and libgloo-dev are installed (see"
            + " docs/scaling-out.md, \"Several machines\")";
      }
      System.load(dir.resolve(JNI).toAbsolutePath().toString());
      return open(dir.resolve(IMPL).toAbsolutePath().toString());
    } catch (IOException | UnsatisfiedLinkError | URISyntaxException e) {
      return "the native Gloo library could not be loaded: "
          + e.getMessage()
          + " (it needs Gloo's shared library, Debian package libgloo0)";
    }
  }

  private static @Nullable Path folder() throws IOException, URISyntaxException {
    String dir = System.getProperty("saim.gloo.native.dir");
    if (dir != null) {
      return Path.of(dir);
    }
    URL jni = NativeGloo.class.getClassLoader().getResource(RESOURCES + JNI);
    URL impl = NativeGloo.class.getClassLoader().getResource(RESOURCES + IMPL);
    if (jni == null || impl == null) {
      return null;
    }
    if (jni.getProtocol().equals("file")) {
      return Path.of(jni.toURI()).getParent();
    }
    Path tmp = Files.createTempDirectory("saim-gloo");
    for (String name : new String[] {JNI, IMPL}) {
      Path to = tmp.resolve(name);
      try (InputStream in =
          NativeGloo.class.getClassLoader().getResourceAsStream(RESOURCES + name)) {
        Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
      }
      to.toFile().deleteOnExit();
    }
    tmp.toFile().deleteOnExit();
    return tmp;
  }

  /** dlopen()s the Gloo side; returns the error or null. */
  static native @Nullable String open(String implPath);

  /** A context handle, or 0 with message[0] and failure {peer, timeout} set. */
  static native long connect(
      String store,
      String arg,
      int port,
      int rank,
      int size,
      String host,
      long timeoutMs,
      int[] failure,
      @Nullable String[] message);

  /** As {@link #connect}, through a store of ours. */
  static native long connectStore(
      KeyValueStore store,
      int rank,
      int size,
      String host,
      long timeoutMs,
      int[] failure,
      @Nullable String[] message);

  static native @Nullable String allReduceF32(
      long ctx, Buffer buf, long n, long timeoutMs, int[] failure);

  static native @Nullable String allReduceBf16(
      long ctx, Buffer buf, long n, long timeoutMs, int[] failure);

  static native @Nullable String broadcast(
      long ctx, Buffer buf, long bytes, int root, long timeoutMs, int[] failure);

  static native @Nullable String barrier(long ctx, long timeoutMs, int[] failure);

  static native void close(long ctx);
}
