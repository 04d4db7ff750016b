package dev.scorecards.reindex.model;

import dev.scorecards.reindex.postgres.PostgresQueries;

/**
 * One kind of scorecard the reindex moves, with the PostgreSQL queries that find it for a window.
 * Both flows share everything after the read: batching, the scores join, clean-up, writes,
 * accounting and verification.
 */
public enum Flow {
  /**
   * Process scorecards (template revision type 2) whose own {@code updated_at} is in the window.
   */
  PROCESS(
      ClickHouseTable.PROCESS_TEMPLATE_TYPE,
      PostgresQueries.COUNT_PROCESS_SCORECARDS,
      PostgresQueries.READ_PROCESS_SCORECARDS,
      PostgresQueries.PROCESS_SCORECARD_KEYS,
      PostgresQueries.PROCESS_SCORE_KEYS),
  /**
   * Conversation scorecards (type 1) of the conversations whose {@code updated_at} is in the
   * window.
   */
  CONVERSATION(
      ClickHouseTable.CONVERSATION_TEMPLATE_TYPE,
      PostgresQueries.COUNT_CONVERSATION_SCORECARDS,
      PostgresQueries.READ_CONVERSATION_SCORECARDS,
      PostgresQueries.CONVERSATION_SCORECARD_KEYS,
      PostgresQueries.CONVERSATION_SCORE_KEYS);

  public final int templateType;
  public final String countScorecards;
  public final String readScorecards;
  public final String scorecardKeys;
  public final String scoreKeys;

  Flow(
      int templateType,
      String countScorecards,
      String readScorecards,
      String scorecardKeys,
      String scoreKeys) {
    this.templateType = templateType;
    this.countScorecards = countScorecards;
    this.readScorecards = readScorecards;
    this.scorecardKeys = scorecardKeys;
    this.scoreKeys = scoreKeys;
  }

  /**
   * Whether the window bounds this flow's scorecards' own update times: a process scorecard is in
   * the window by its {@code updated_at}; a conversation scorecard by its conversation's.
   */
  public boolean windowHoldsScorecardVersions() {
    return this == PROCESS;
  }

  /** The value of {@code is_process_scorecard} of this flow's rows in ClickHouse. */
  public int isProcessScorecard() {
    return this == PROCESS ? 1 : 0;
  }
}
