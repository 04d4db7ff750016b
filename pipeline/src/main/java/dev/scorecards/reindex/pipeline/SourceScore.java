package dev.scorecards.reindex.pipeline;

import java.time.Instant;

/** A row of {@code director.historic_scorecard_scores} as PostgreSQL holds it. */
public record SourceScore(
    String scorecardId,
    String criterionId,
    Double numericValue,
    boolean notApplicable,
    boolean aiScored,
    String comment,
    Instant createdAt,
    Instant updatedAt) {}
