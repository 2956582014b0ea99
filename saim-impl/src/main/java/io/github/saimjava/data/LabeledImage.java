package io.github.saimjava.data;

/**
 * One decoded dataset image and its class label.
 *
 * @param image the pixels
 * @param label class index, or -1 when the dataset has no labels
 */
public record LabeledImage(DecodedImage image, int label) {}
