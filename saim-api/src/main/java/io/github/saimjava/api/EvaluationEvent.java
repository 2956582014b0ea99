package io.github.saimjava.api;

/**
 * What the end of a fine-tuning epoch reports: its training figures and the evaluation that
 * followed on the validation images.
 *
 * @param epoch the epoch that ended (0-based)
 * @param trainLoss mean training loss over its steps
 * @param lr the learning rate of its last step
 * @param top1 top-1 accuracy on the validation images, in percent
 * @param top5 top-5 accuracy on the validation images, in percent (100 with 5 classes or fewer)
 * @param testLoss mean cross-entropy on the validation images
 * @param seconds wall-clock seconds the epoch and its evaluation took
 * @param best whether this epoch has the best top-1 so far (its weights are kept)
 */
public record EvaluationEvent(
    int epoch,
    double trainLoss,
    double lr,
    double top1,
    double top5,
    double testLoss,
    double seconds,
    boolean best) {}
