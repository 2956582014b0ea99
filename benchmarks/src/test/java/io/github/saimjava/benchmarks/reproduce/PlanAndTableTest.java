package io.github.saimjava.benchmarks.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlanAndTableTest {
  @Test
  void fmnistSmallIsTheIssuesReferenceConfiguration() {
    Plan p = Plan.fmnistSmall();
    var c = p.config();
    assertEquals(
        List.of(32, 3, 4, 128, 6, 4, 6, 3),
        List.of(
            c.imageSize(),
            c.channels(),
            c.patchSize(),
            c.width(),
            c.depth(),
            c.heads(),
            c.queryDepth(),
            c.blurKernel()));
    assertEquals(1.0, c.blurSigma());
    assertTrue(c.normPixLoss());
    assertEquals(List.of(10_000, 8, 128), List.of(p.trainImages(), p.epochs(), p.batchSize()));
    assertEquals(3e-4, p.lr());
    assertEquals(0.05, p.weightDecay());
    assertEquals(1.0, p.warmupEpochs());
    assertEquals(List.of(0L, 1L), p.seeds());
  }

  /** Result caches and reports written before the probe took the API's spec still match. */
  @Test
  void theProbeIsRecordedUnderItsFormerKeys() {
    Plan p = Plan.fmnistSmall();
    assertEquals(
        "{\"epochs\":90,\"batchSize\":256,\"blr\":6.4,\"weightDecay\":0.0,"
            + "\"warmupEpochs\":0.0,\"seed\":0}",
        new com.google.gson.Gson().toJson(Plan.probeJson(p.probe())));
    assertEquals(7L, Plan.probe(p.probe(), 7).spec().seed());
    assertEquals(
        p.probe(), Plan.probe(p.probe(), 7).toBuilder().seed(p.probe().seed()).build().spec());
  }

  @Test
  void ablationsChangeOnlyTheirPart() {
    var base = Plan.fmnistSmall().config();
    assertEquals(base.toBuilder().noBlur().build(), Variant.NOBLUR.config(base));
    assertEquals(base.toBuilder().shareWeight(true).build(), Variant.SHARED.config(base));
    assertEquals(base, Variant.RASTER.config(base));
    assertEquals(io.github.saimjava.api.PermutationSampler.Kind.RASTER, Variant.RASTER.order());
  }

  @Test
  void badOptionsNameTheValue() {
    var e = assertThrows(IllegalArgumentException.class, () -> Variant.parse("blur"));
    assertTrue(e.getMessage().contains("'blur'"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> Plan.fmnistSmall().withSeeds(List.of(0L, 0L)));
    assertTrue(e.getMessage().contains("[0, 0]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Plan.fmnistSmall().withEpochs(0));
    assertTrue(e.getMessage().contains("epochs (0)"), e.getMessage());
    assertEquals(
        2, ReproduceSmokeTest.run("--variants", "random,blur", "--report-only").exitCode());
  }

  @Test
  void spreadIsTheSampleStandardDeviation() {
    // values 76.2 and 76.8: mean 76.5, sd = 0.3 * sqrt(2) = 0.42426
    assertEquals(0.424264, ResultTable.sd(List.of(76.2, 76.8)), 1e-6);
    assertEquals("76.50 ± 0.42", ResultTable.meanSd(List.of(76.2, 76.8)));
    assertEquals("76.20 (one seed)", ResultTable.meanSd(List.of(76.2)));
    assertEquals("—", ResultTable.meanSd(List.of()));
  }

  @Test
  void tableListsWhatIsNotMeasuredInsteadOfANumber() {
    Plan plan = Plan.fmnistSmall().withSeeds(List.of(0L));
    Report.Probe probe = new Report.Probe(0, 74.0, 98.5, 0.8, 10);
    Report report =
        new Report(
            plan,
            "train",
            "test",
            List.of(probe),
            List.of(
                new Report.Encoder(Variant.RANDOM, 0, null, probe, null),
                new Report.Encoder(
                    Variant.RASTER, 0, new Report.Pretraining(300, 624, 0.2, 100), null, null),
                new Report.Encoder(Variant.STOCHASTIC, 0, null, null, null)));
    ResultTable t = new ResultTable(report, "cmd", "machine", "date", 1, List.of("a note"));
    assertEquals(
        List.of(
            "random init (no pre-training), seed 0: not fine-tuned",
            "raster order (iGPT-style), seed 0: pre-training reached step 300 of 624 (not"
                + " finished)",
            "stochastic order (SAIM), seed 0: pre-training not started"),
        t.missing());
    String md = t.markdown();
    assertTrue(md.contains("| raster order (iGPT-style) | 0 of 1 | — | — | — | — | — | — |"), md);
    assertTrue(
        md.contains(
            "| random init (no pre-training) | 1 of 1 | 74.00 (one seed) | 0: 74.00 | 98.50 | — | —"
                + " | — |"),
        md);
    assertTrue(md.endsWith("## Notes\n\n- a note\n"), md);
  }
}
