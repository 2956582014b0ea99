@file:JvmName("PretrainOnFolder")

package io.github.saimjava.examples

import io.github.saimjava.api.Augmentation
import io.github.saimjava.api.SaimConfig
import io.github.saimjava.api.SaimEncoder
import io.github.saimjava.api.SaimTrainer
import io.github.saimjava.api.TrainingSummary
import java.io.PrintStream
import java.nio.file.Files
import java.nio.file.Path

/**
 * Pre-trains a small SAIM ViT on a plain folder of images (no labels, no class sub-folders needed),
 * then embeds the same images with the encoder it wrote and prints each image's nearest neighbour.
 *
 * ```
 * java -cp examples/target/saim.jar io.github.saimjava.examples.PretrainOnFolder [IMAGES [OUTPUT]]
 * ```
 *
 * Without IMAGES, 256 of the embedded Fashion-MNIST training images are written to a temporary
 * folder; OUTPUT defaults to `runs/pretrain-on-folder`. Run it twice and the second run trains
 * nothing: the output folder already holds the finished run, whose figures it reports.
 */
fun main(args: Array<String>) {
    val images: Path = args.getOrNull(0)?.let { Path.of(it) }
        ?: Files.createTempDirectory("saim-pretrain-images").also {
            FashionMnistSample.writeTrainingImages(it, 256)
            println("no folder given: wrote 256 embedded Fashion-MNIST training images to $it")
        }
    val output: Path = args.getOrNull(1)?.let { Path.of(it) } ?: Path.of("runs", "pretrain-on-folder")
    pretrainThenEmbed(images, output, System.out)
}

/** A tiny ViT for 32-pixel images: seconds per epoch on a laptop's CPU, for trying the API out. */
val TINY_32: SaimConfig = SaimConfig.builder()
    .imageSize(32).patchSize(8)
    .width(64).depth(2).heads(2).queryDepth(2)
    .blur(3, 1.0)
    .build()

/** What [pretrainThenEmbed] did: the training summary and, per image, its nearest other image. */
data class PretrainResult(val training: TrainingSummary, val nearest: Map<Path, Path>)

fun pretrainThenEmbed(images: Path, output: Path, out: PrintStream): PretrainResult {
    val summary = SaimTrainer.builder()
        .config(TINY_32)
        .data(images)
        .epochs(2).batchSize(32).blr(1.5e-3).warmupEpochs(0.5)
        .augmentation(Augmentation.FLIP_ONLY)
        .outputDir(output)
        .onEpoch { e -> out.println("epoch ${e.epoch()}: mean loss ${"%.4f".format(e.meanLoss())}") }
        .build()
        .fit()
    if (summary.alreadyFinished()) {
        out.println("nothing left to do: $output already holds this run, finished at step ${summary.steps()}")
    }
    out.println("${summary.steps()} steps, final loss ${"%.4f".format(summary.finalLoss().orElse(Double.NaN))}, weights ${summary.finalWeights()}")

    val files = ImageSearch.imagesIn(images)
    val nearest = SaimEncoder.builder()
        .checkpoint(summary.finalWeights()) // the architecture travels in the file
        .l2Normalize(true)
        .build()
        .use { encoder ->
            val vectors = encoder.embedFiles(files)
            files.indices.associate { i ->
                val j = files.indices.filter { it != i }.maxByOrNull { cosine(vectors[i], vectors[it]) }
                files[i] to (if (j == null) files[i] else files[j])
            }
        }
    files.take(3).forEach { out.println("${it.fileName} is nearest to ${nearest.getValue(it).fileName}") }
    return PretrainResult(summary, nearest)
}

private fun cosine(a: FloatArray, b: FloatArray): Double = a.indices.sumOf { a[it].toDouble() * b[it] }
