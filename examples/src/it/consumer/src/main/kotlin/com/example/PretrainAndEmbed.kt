package com.example

import ai.djl.modality.cv.ImageFactory
import io.github.saimjava.api.SaimConfig
import io.github.saimjava.api.SaimEncoder
import io.github.saimjava.api.SaimTrainer
import java.nio.file.Path

/** Pre-trains a small ViT on a folder of images with SAIM, then embeds an image with its encoder. */
fun main() {
    // README:quickstart-kotlin:start
    val run = SaimTrainer.builder()
        .config(
            SaimConfig.vitTiny().toBuilder()
                .imageSize(32).patchSize(8).depth(2).queryDepth(2)
                .blur(3, 1.0) // kernel, sigma (whole numbers too: .blur(3, 1))
                .build()
        )
        .data(Path.of("images"))
        .epochs(2).batchSize(16).blr(1.5e-3)
        .outputDir(Path.of("runs/kotlin"))
        .onEpoch { e -> println("epoch ${e.epoch()}: mean loss ${"%.4f".format(e.meanLoss())}") }
        .build()
        .fit()
    println("${run.steps()} steps in ${"%.1f".format(run.seconds().orElse(0.0))} s, final loss ${"%.4f".format(run.finalLoss().orElse(Double.NaN))}")

    SaimEncoder.builder().checkpoint(run.finalWeights()).build().use { encoder ->
        val image = ImageFactory.getInstance().fromFile(Path.of("images/0001-t-shirt.png"))
        val vector: FloatArray = encoder.embedImages(listOf(image)).single()
        println("a vector of ${vector.size} numbers")
    }
    // README:quickstart-kotlin:end
}
