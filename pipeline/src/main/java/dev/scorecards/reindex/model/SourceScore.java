package dev.scorecards.reindex.model;

import java.time.Instant;

/**
 * A row of {@code director.historic_scorecard_scores} as PostgreSQL holds it, in the columns the
 * mapping uses: the score's {@code created_at} has no ClickHouse column (a score row carries its
 * scorecard's creation time), so it is not read.
 */
public record SourceScore(
    String scorecardId,
    String criterionId,
    Double numericValue,
    boolean notApplicable,
    boolean aiScored,
    String comment,
    Instant updatedAt) {}
