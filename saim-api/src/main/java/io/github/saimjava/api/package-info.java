/**
 * The public API of saim-java. {@link io.github.saimjava.api.SaimConfig} describes a SAIM model and
 * {@link io.github.saimjava.api.PermutationSampler} draws its prediction orders and attention
 * masks; {@link io.github.saimjava.api.SaimTrainer} pre-trains, {@link
 * io.github.saimjava.api.SaimFineTuner} fine-tunes for classification, {@link
 * io.github.saimjava.api.SaimLinearProbe} probes frozen features, {@link
 * io.github.saimjava.api.SaimEncoder} turns images into vectors and {@link
 * io.github.saimjava.api.SaimClassifier} into labels. Pre-training and fine-tuning share their
 * optimiser's settings ({@link io.github.saimjava.api.OptimizerSettings}). The builders validate in
 * {@code build()} and hand an immutable value to the implementation, which is found at run time
 * through {@link java.util.ServiceLoader} ({@link io.github.saimjava.api.spi.SaimProvider});
 * optional settings are {@code @Nullable} or {@code Optional}, never NaN, and errors name the
 * setting and its value ({@code batchSize (64) ...}). Training reports through {@link
 * io.github.saimjava.api.StepListener}, {@link io.github.saimjava.api.EpochListener} and,
 * fine-tuning, {@link io.github.saimjava.api.EvaluationListener}.
 */
@NullMarked
package io.github.saimjava.api;

import org.jspecify.annotations.NullMarked;
