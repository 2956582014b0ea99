/**
 * Training: the pre-training loop ({@link io.github.saimjava.train.Pretrainer}) on one or several
 * devices ({@link io.github.saimjava.train.DataParallel}) and processes ({@link
 * io.github.saimjava.train.Ranks}); the PyTorch-exact AdamW with the reference's no-decay rule and
 * the learning-rate schedule; the run plumbing pre-training and fine-tuning share (the output
 * folder, {@link io.github.saimjava.train.RunFolder}, and the resumable checkpoint, {@link
 * io.github.saimjava.train.TrainingCheckpoint}, with the divergence error {@link
 * io.github.saimjava.train.TrainingDivergedException}); the engine's thread count and no-grad
 * scopes ({@link io.github.saimjava.train.EngineThreads}, {@link io.github.saimjava.train.NoGrad});
 * and the check of one training step against the reference implementation ({@link
 * io.github.saimjava.train.ReferenceCheck}).
 */
@NullMarked
package io.github.saimjava.train;

import org.jspecify.annotations.NullMarked;
