/**
 * Collectives between processes for data-parallel training across JVMs and machines: a {@link
 * io.github.saimjava.distributed.Collective} (all-reduce, broadcast, barrier, all with time-outs),
 * implemented by {@link io.github.saimjava.distributed.RingCollective} in plain Java (the default,
 * nothing to install) and by {@link io.github.saimjava.distributed.GlooCollective} over Gloo's TCP
 * transport, picked by {@link io.github.saimjava.distributed.Collectives}; and the {@link
 * io.github.saimjava.distributed.Rendezvous} through which the ranks find each other.
 */
@NullMarked
package io.github.saimjava.distributed;

import org.jspecify.annotations.NullMarked;
