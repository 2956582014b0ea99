/**
 * Collectives between JVMs for data-parallel pre-training: {@link
 * io.github.saimjava.distributed.Collective} (all-reduce, broadcast, barrier), its plain-Java and
 * Gloo implementations and the {@link io.github.saimjava.distributed.Rendezvous} that starts it.
 * Gloo's JNI part, when asked for, is loaded from this module's {@code native/} resources.
 */
module io.github.saimjava.distributed {
  requires static org.jspecify;

  exports io.github.saimjava.distributed;
}
