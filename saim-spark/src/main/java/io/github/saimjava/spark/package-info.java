/**
 * Embedding image collections on Apache Spark with SAIM encoders: {@link
 * io.github.saimjava.spark.SaimSpark} for Spark code, {@link io.github.saimjava.spark.EmbedJob} for
 * {@code spark-submit}. An executor JVM loads each encoder once ({@link
 * io.github.saimjava.spark.EncoderSpec} says which) and every task on it shares that copy.
 */
@NullMarked
package io.github.saimjava.spark;

import org.jspecify.annotations.NullMarked;
