package io.github.saimjava.examples

import ai.djl.ndarray.NDManager
import io.github.saimjava.api.HeadType
import io.github.saimjava.api.PermutationSampler
import io.github.saimjava.api.SaimConfig
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test

/** The README's Kotlin snippet, compiled and run. */
class ReadmeKotlinTest {
    @Test
    fun readmeSnippet() {
        // README:kotlin:start
        val config = SaimConfig.vitSmall().toBuilder()
            .imageSize(32).patchSize(4)
            .headType(HeadType.MLP)
            .blur(9, 1).mlpRatio(4) // whole numbers where the setting is a Double
            .build()
        val sampler = PermutationSampler.builder(config.numPatches()).stochastic(42).build()
        NDManager.newBaseManager().use { manager ->
            sampler.sample(manager, 8).use { perm ->
                println("order of image 0: ${perm.order().get(0).toLongArray().take(5)}")
                println("content mask ${perm.contentMask().shape}, query mask ${perm.queryMask().shape}")
            }
        }
        // README:kotlin:end
        assertEquals(64, config.numPatches())
        assertEquals(8L, sampler.position())
    }
}
