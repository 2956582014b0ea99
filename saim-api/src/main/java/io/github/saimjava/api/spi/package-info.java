/**
 * The service-provider interface: what an implementation module registers in {@code
 * META-INF/services} so the API's builders can find it.
 */
@NullMarked
package io.github.saimjava.api.spi;

import org.jspecify.annotations.NullMarked;
