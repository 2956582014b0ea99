/**
 * The public API of saim-java: {@link io.github.saimjava.api.SaimConfig} describes a SAIM model,
 * {@link io.github.saimjava.api.PermutationSampler} draws prediction orders and their attention
 * masks. Engine-specific work is found at run time through {@link java.util.ServiceLoader}.
 */
@NullMarked
package io.github.saimjava.api;

import org.jspecify.annotations.NullMarked;
