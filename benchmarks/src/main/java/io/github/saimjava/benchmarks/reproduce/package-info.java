/**
 * The small-scale reproduction of the SAIM paper's comparison ({@code saim reproduce}): encoders
 * pre-trained under one budget with each prediction order (and the paper's ablations), evaluated by
 * the linear probe against a raw-pixel floor, written as a Markdown table. Every stage caches its
 * output in the run folder, so an interrupted or extended run reuses what is finished.
 */
@NullMarked
package io.github.saimjava.benchmarks.reproduce;

import org.jspecify.annotations.NullMarked;
