package io.github.saimjava.examples

import io.github.saimjava.api.SaimClassifier
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** The README's "Classifying with the paper's model" Kotlin snippet, compiled and run (on a stand-in ViT-B). */
class ReadmeClassifierKotlinTest {
    @Test
    fun readmeSnippet() {
        val image = VitBaseFixture.install().resolve("cat.jpg")
        try {
            // README:classify-kotlin:start
            val top = SaimClassifier.builder().zoo("saim_vit_base_patch16_224_in1k_ft").topK(3).build().use {
                it.classifyFiles(listOf(image))[0]
            }
            top.forEach { println("%.3f %s".format(it.probability(), it.label())) }
            // README:classify-kotlin:end
            assertEquals(3, top.size)
        } finally {
            VitBaseFixture.uninstall()
        }
    }
}
