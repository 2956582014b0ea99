/**
 * The SAIM model on DJL: patch embedding, the fixed 2-D sin-cos position table, pre-norm blocks
 * with masked self- and cross-attention, the interleaved content and query streams, the prediction
 * head, and the blurred, per-patch normalised pixel target. Parameter names are the reference
 * implementation's, so weights load and save by name.
 */
@NullMarked
package io.github.saimjava.model;

import org.jspecify.annotations.NullMarked;
