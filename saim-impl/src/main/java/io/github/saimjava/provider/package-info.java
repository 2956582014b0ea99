/**
 * The {@link io.github.saimjava.api.spi.SaimProvider} that implements the API on DJL's PyTorch
 * engine.
 */
@NullMarked
package io.github.saimjava.provider;

import org.jspecify.annotations.NullMarked;
