package dev.scorecards.reindex.verify;

import dev.scorecards.reindex.pipeline.ClickHouseClient;
import dev.scorecards.reindex.pipeline.ClickHouseDeletes;
import dev.scorecards.reindex.pipeline.ReindexConfig;
import dev.scorecards.reindex.pipeline.ReindexPipeline;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Repairs only what a verification found: every scorecard that is missing, different, extra,
 * or has a missing, different or extra score is deleted from ClickHouse (all its rows, then
 * waiting for the mutations), and those PostgreSQL still has as process scorecards are
 * written again through the reindex pipeline. Extra scorecards PostgreSQL no longer has stay
 * deleted.
 */
public final class Repair {
  private Repair() {}

  /** What a repair did. */
  public record Outcome(int scorecardsAffected, ClickHouseDeletes.Deleted deleted) {}

  /** The scorecard ids a report's differences touch. */
  static List<String> affectedScorecards(VerificationReport report) {
    TreeSet<String> ids = new TreeSet<>();
    for (VerificationReport.TableReport t : report.tables()) {
      t.missing().forEach(k -> ids.add(k.get(0)));
      t.extra().forEach(k -> ids.add(k.get(0)));
      t.different().forEach(d -> ids.add(d.key().get(0)));
    }
    return new ArrayList<>(ids);
  }

  public static Outcome run(ReindexConfig config, VerificationReport report, String clickHouseVersion, PipelineOptions options)
      throws InterruptedException {
    List<String> ids = affectedScorecards(report);
    if (ids.isEmpty()) {
      return new Outcome(0, new ClickHouseDeletes.Deleted(0, 0, 0));
    }
    ClickHouseClient clickHouse = new ClickHouseClient(config.clickHouse());
    ClickHouseDeletes.Deleted deleted = ClickHouseDeletes.submit(clickHouse, ids);
    ClickHouseDeletes.waitForMutations(clickHouse, ClickHouseDeletes.MUTATION_TIMEOUT);
    PipelineResult result = ReindexPipeline.buildForIds(config.withCleanUpBeforeWrite(false), ids, clickHouseVersion, options).run();
    PipelineResult.State state = result.waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      throw new IllegalStateException("the repair pipeline ended " + state);
    }
    return new Outcome(ids.size(), deleted);
  }
}
