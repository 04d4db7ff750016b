package dev.scorecards.reindex.model;

import java.time.Instant;

/**
 * A scorecard as PostgreSQL holds it ({@code director.scorecards} joined with its template revision
 * for {@code type}); nullable columns are null here as they are there.
 */
public record SourceScorecard(
    String scorecardId,
    String customerId,
    String profileId,
    String templateId,
    int templateRevision,
    int templateType,
    String conversationId,
    String agentUserId,
    String creatorUserId,
    String submitterUserId,
    Double score,
    Instant submittedAt,
    Instant createdAt,
    Instant updatedAt) {}
