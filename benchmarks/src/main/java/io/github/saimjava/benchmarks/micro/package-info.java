/**
 * JMH microbenchmarks of what sits around the model: permutation masks, patchify, the data pipeline
 * and checkpoint writing. How to run them: {@code benchmarks/README.md}.
 */
@NullMarked
package io.github.saimjava.benchmarks.micro;

import org.jspecify.annotations.NullMarked;
