package com.example

import ai.onnxruntime.OnnxTensor
import ai.onnxruntime.OrtEnvironment
import io.github.saimjava.api.SaimEncoder
import java.nio.FloatBuffer
import java.nio.file.Path

/** The ONNX export run by ONNX Runtime, from Kotlin. */
fun main() {
    val model = Path.of("encoder-kt.onnx")
    // README:onnx:start
    SaimEncoder.builder().zoo("saim_vit_micro_patch4_32_fmnist").build().use { it.exportOnnx(model) }

    val env = OrtEnvironment.getEnvironment()
    env.createSession(model.toString()).use { session ->
        val size = session.metadata.customMetadata.getValue("saim.image_size").toInt()
        // a batch of two images, preprocessed as the model's metadata says (here: blank)
        val pixels = FloatArray(2 * 3 * size * size)
        OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), longArrayOf(2, 3, size.toLong(), size.toLong()))
            .use { input ->
                session.run(mapOf("pixels" to input)).use { result ->
                    @Suppress("UNCHECKED_CAST")
                    val vectors = result.get("embedding").get().value as Array<FloatArray>
                    println("onnx (Kotlin): ${vectors.size} vectors of ${vectors[0].size} numbers")
                }
            }
    }
    // README:onnx:end
}
