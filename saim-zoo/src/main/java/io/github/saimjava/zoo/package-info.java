/**
 * Pretrained SAIM encoders by name: a registry of artifacts (architecture, input size,
 * normalisation, origin, SHA-256), a verified download cache, and a DJL model zoo.
 */
@NullMarked
package io.github.saimjava.zoo;

import org.jspecify.annotations.NullMarked;
