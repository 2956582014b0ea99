/**
 * Downstream use of a pre-trained encoder, behind the API's {@code SaimFineTuner}, {@code
 * SaimLinearProbe} and {@code SaimClassifier}: the ViT classifier both the fine-tuner and {@code
 * SaimClassifier} run ({@link io.github.saimjava.downstream.VitClassifier}, its checkpoints in
 * {@link io.github.saimjava.downstream.ClassifierCheckpoint}); fine-tuning with the paper's
 * protocol, in parts named for what they do ({@link io.github.saimjava.downstream.FineTuner} the
 * entry from the API's spec and the checks that need the data, {@code FineTuneLoop} the loop,
 * {@code FineTuneCheckpoint} the run's state and files, {@link
 * io.github.saimjava.downstream.Evaluation} top-1 / top-5, {@code LayerDecay} the layer-wise
 * learning rates); and the paper's linear probe on frozen features ({@link
 * io.github.saimjava.downstream.LinearProbe}).
 */
@NullMarked
package io.github.saimjava.downstream;

import org.jspecify.annotations.NullMarked;
