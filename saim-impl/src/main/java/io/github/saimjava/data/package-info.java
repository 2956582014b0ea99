/**
 * Image data for pre-training: datasets (IDX files, image folders, the embedded Fashion-MNIST
 * subset), the augmentations of the paper's recipe, and a prefetching batch loader whose output is
 * a pure function of the seed, the epoch and the batch position.
 */
@NullMarked
package io.github.saimjava.data;

import org.jspecify.annotations.NullMarked;
