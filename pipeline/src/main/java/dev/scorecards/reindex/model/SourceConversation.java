package dev.scorecards.reindex.model;

import java.time.Instant;

/** A conversation of {@code app.chats} as PostgreSQL holds it. */
public record SourceConversation(
    String conversationId,
    String customerId,
    String profileId,
    String agentUserId,
    int channel,
    String language,
    Instant startedAt,
    Instant endedAt,
    Instant createdAt,
    Instant updatedAt) {}
