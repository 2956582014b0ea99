package io.github.saimjava.examples

import io.github.saimjava.api.Augmentation
import io.github.saimjava.api.SaimConfig
import io.github.saimjava.api.SaimFineTuner
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Files
import java.nio.file.Path

/**
 * README's Kotlin fine-tuning snippet, compiled and run (ReadmeSnippetsTest checks that README
 * shows this region as it is): settings chosen on held-out training images, never the test set.
 */
class ReadmeFineTuneKotlinTest {
    @Test
    fun fineTunesOnAValidationSplit(@TempDir runs: Path) {
        val lines = mutableListOf<String>()
        // README:finetune-kotlin:start
        val config = SaimConfig.vitTiny().toBuilder()
            .imageSize(32).patchSize(8).depth(2).queryDepth(2)
            .build()
        val result = SaimFineTuner.builder()
            .config(config) // random initialisation; or .checkpoint(path) / .zoo(name)
            // no .data(...): the embedded Fashion-MNIST subset; its first 128 training images,
            // the last 32 of them held out and evaluated every epoch instead of the test images
            .trainImages(128).validationSplit(32)
            .epochs(2).batchSize(32).warmupEpochs(1.0)
            .augmentation(Augmentation.FLIP_ONLY)
            .outputDir(runs.resolve("finetune"))
            .onEvaluation { e -> lines += "epoch ${e.epoch()}: validation top-1 ${"%.2f".format(e.top1())}" }
            .build()
            .fit()
        lines += "best validation top-1 ${result.bestTop1()} in ${result.bestWeights().orElseThrow()}"
        // README:finetune-kotlin:end
        assertEquals(3, lines.size, lines.toString())
        assertTrue(lines[0].startsWith("epoch 0: validation top-1 "), lines[0])
        assertEquals(96, result.trainImages())
        assertEquals(32, result.valImages())
        assertTrue(Files.isRegularFile(runs.resolve("finetune").resolve(SaimFineTuner.BEST)))
    }
}
