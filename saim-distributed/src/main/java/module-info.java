/**
 * Collectives between JVMs for data-parallel pre-training: {@link
 * io.github.saimjava.distributed.Collective} (all-reduce, broadcast, barrier), its Gloo
 * implementation and the {@link io.github.saimjava.distributed.Rendezvous} that starts it. The JNI
 * part is loaded from this module's {@code native/} resources.
 */
module io.github.saimjava.distributed {
  requires static org.jspecify;

  exports io.github.saimjava.distributed;
}
