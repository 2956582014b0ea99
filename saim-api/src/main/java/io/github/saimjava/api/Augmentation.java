package io.github.saimjava.api;

/** How training images are augmented before normalisation. */
public enum Augmentation {
  /**
   * RandomResizedCrop (scale 0.2-1, bicubic) then a horizontal flip with p = 0.5: the paper's
   * recipe.
   */
  RANDOM_RESIZED_CROP,
  /**
   * Zero-pad (or resize) to the model's size, then a horizontal flip with p = 0.5: for small
   * images.
   */
  FLIP_ONLY
}
