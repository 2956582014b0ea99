package io.github.saimjava.distributed;

import java.io.IOException;

/**
 * The rendezvous store as the native side calls it (through JNI, from the connecting thread):
 * Gloo's ranks publish their addresses under keys and wait for each other's.
 */
interface KeyValueStore {
  /** Stores {@code value} under {@code key}. */
  void set(String key, byte[] value) throws IOException;

  /**
   * The value of {@code key}, waiting up to {@code timeoutMs} for it to be set.
   *
   * @throws IOException naming the key when it is not set in time or the store is unreachable
   */
  byte[] get(String key, long timeoutMs) throws IOException;
}
