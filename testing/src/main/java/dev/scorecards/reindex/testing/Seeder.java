package dev.scorecards.reindex.testing;

import dev.scorecards.reindex.model.ReindexWindow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A deterministic generator of realistic source data in the PostgreSQL contract tables: customers
 * and profiles, templates whose revisions have both types (and one template whose revisions change
 * type), conversations, process and conversation scorecards spread unevenly through a window, NULLs
 * wherever the schema allows them, and text with quotes, tabs, newlines, backslashes and non-ASCII.
 *
 * <p>Everything is set-based SQL ({@code INSERT ... SELECT} over {@code generate_series}), so a
 * million scorecards take minutes, not hours. Pseudo-randomness comes from {@code
 * hashint8extended(i, seed)}, which depends only on the row number and the seed: the same arguments
 * give the same rows whatever plan PostgreSQL picks. Ids start with {@code s<seed>-}, so data sets
 * of different seeds live side by side.
 */
public final class Seeder {
  /**
   * What to generate. {@code scorecards} is the number of process scorecards; a fifth as many
   * conversation scorecards come with them.
   */
  public record Spec(long scorecards, int scoresPerScorecard, ReindexWindow window, long seed) {
    public Spec {
      if (scorecards < 0 || scoresPerScorecard < 0) {
        throw new IllegalArgumentException(
            "--scorecards and --scores-per-scorecard must not be negative");
      }
    }

    String prefix() {
      return "s" + seed + "-";
    }
  }

  /** What was generated. */
  public record Result(
      long processScorecards,
      long conversationScorecards,
      long scores,
      long conversations,
      double seconds) {}

  static final int CUSTOMERS = 4;
  static final int PROFILES_PER_CUSTOMER = 3;

  // u(i, k): a uniform number in [0, 1) from row i and stream k, fixed by the seed.
  private static final String U =
      "((hashint8extended(%s, ?::bigint * 1000 + %d) & 2147483647)::float8 / 2147483648.0)";

  private static String u(String i, int stream) {
    return String.format(U, i, stream);
  }

  /** Texts that must survive the trip intact: quotes, tab, newline, backslash, non-ASCII, emoji. */
  private static final String TEXTS =
      "ARRAY['Greeted the customer by name', 'Said \"I''ll check\" and came back', 'Tab\there, newline\nthere',"
          + " 'Back\\slash \\n not a newline', 'Naïve café, Straße, 東京, emoji 😀👍', '', '   leading and trailing   ']";

  public static Result seed(Connection connection, Spec spec, boolean replace) throws SQLException {
    long began = System.nanoTime();
    boolean autoCommit = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try (Statement st = connection.createStatement()) {
      if (replace) {
        st.execute(
            "TRUNCATE director.historic_scorecard_scores, director.scorecards, director.scorecard_template_revisions, app.chats");
      }
      st.execute("SET LOCAL synchronous_commit = off");
      templates(connection, spec);
      long conversationScorecards = spec.scorecards() / 5;
      long conversations = Math.max(1, conversationScorecards * 2 / 3);
      chats(connection, spec, conversations);
      long process = scorecards(connection, spec, spec.scorecards(), true, 0, conversations);
      long conversation =
          scorecards(
              connection, spec, conversationScorecards, false, spec.scorecards(), conversations);
      long scores = scores(connection, spec);
      connection.commit();
      st.execute("ANALYZE director.scorecards");
      st.execute("ANALYZE director.historic_scorecard_scores");
      connection.commit();
      return new Result(
          process, conversation, scores, conversations, (System.nanoTime() - began) / 1e9);
    } catch (SQLException | RuntimeException e) {
      connection.rollback();
      throw e;
    } finally {
      connection.setAutoCommit(autoCommit);
    }
  }

  /**
   * Per profile: a process template (3 revisions), a conversation one (2), one whose revisions
   * alternate 1, 2, 1, and a process one with a single revision.
   */
  private static void templates(Connection c, Spec spec) throws SQLException {
    String sql =
        """
        INSERT INTO director.scorecard_template_revisions (template_id, revision, customer_id, profile_id, type, title, created_at)
        SELECT ? || 'tpl-' || p || '-' || t.name, rev, ? || 'cust-' || ((p - 1) / %d), ? || 'prof-' || p,
               CASE WHEN t.name = 'mixed' THEN CASE WHEN rev = 2 THEN 2 ELSE 1 END ELSE t.type END,
               'Template ' || t.name || ' «rev ' || rev || '» for "profile" ' || p,
               ?::timestamptz - interval '400 days' + rev * interval '7 days 1 hour 1.000001 seconds'
        FROM generate_series(1, %d) AS p
        CROSS JOIN (VALUES ('process', 2, 3), ('conversation', 1, 2), ('mixed', 0, 3), ('single', 2, 1)) AS t(name, type, revisions)
        CROSS JOIN LATERAL generate_series(1, t.revisions) AS rev
        """
            .formatted(PROFILES_PER_CUSTOMER, CUSTOMERS * PROFILES_PER_CUSTOMER);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, spec.prefix());
      ps.setString(2, spec.prefix());
      ps.setString(3, spec.prefix());
      ps.setObject(4, spec.window().start().atOffset(java.time.ZoneOffset.UTC));
      ps.executeUpdate();
    }
  }

  private static void chats(Connection c, Spec spec, long conversations) throws SQLException {
    String sql =
        """
        INSERT INTO app.chats (conversation_id, customer_id, profile_id, agent_user_id, channel, language, started_at, ended_at, created_at, updated_at)
        SELECT ? || 'conv-' || i, ? || 'cust-' || ((p - 1) / %d), ? || 'prof-' || p,
               CASE WHEN %s < 0.1 THEN NULL ELSE ? || 'agent-' || (i %% 37) END,
               1 + (i %% 3)::smallint,
               CASE WHEN %s < 0.2 THEN NULL ELSE (ARRAY['en', 'de', 'fr', 'ja'])[1 + i %% 4] END,
               ts - interval '2 hours', CASE WHEN %s < 0.15 THEN NULL ELSE ts - interval '1 hour' END,
               ts - interval '2 hours', ts
        FROM (SELECT i, 1 + (i %% %d) AS p,
                     ?::timestamptz + (?::bigint * %s) * interval '1 microsecond' AS ts
              FROM generate_series(1, ?::bigint) AS i) g
        """
            .formatted(
                PROFILES_PER_CUSTOMER,
                u("i", 1),
                u("i", 2),
                u("i", 3),
                CUSTOMERS * PROFILES_PER_CUSTOMER,
                u("i", 4));
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int k = 1;
      ps.setString(k++, spec.prefix());
      ps.setString(k++, spec.prefix());
      ps.setString(k++, spec.prefix());
      ps.setLong(k++, spec.seed());
      ps.setString(k++, spec.prefix());
      ps.setLong(k++, spec.seed());
      ps.setLong(k++, spec.seed());
      ps.setObject(k++, spec.window().start().atOffset(java.time.ZoneOffset.UTC));
      ps.setLong(k++, spec.window().endMicros() - spec.window().startMicros());
      ps.setLong(k++, spec.seed());
      ps.setLong(k, conversations);
      ps.executeUpdate();
    }
  }

  /**
   * Scorecards {@code offset+1 .. offset+n}, process or conversation ones. Their {@code updated_at}
   * is uneven in the window: a square of a uniform number crowds them towards its start, and every
   * tenth one falls in a busy hour a third of the way in.
   */
  private static long scorecards(
      Connection c, Spec spec, long n, boolean process, long offset, long conversations)
      throws SQLException {
    if (n == 0) {
      return 0;
    }
    String sql =
        """
        WITH revs AS (
          SELECT template_id, revision, customer_id, profile_id, (row_number() OVER (ORDER BY template_id, revision) - 1) AS k
          FROM director.scorecard_template_revisions WHERE type = ? AND template_id LIKE ? || '%%'),
        nrevs AS (SELECT count(*) AS n FROM revs),
        g AS (
          SELECT i,
                 CASE WHEN i %% 10 = 0
                      THEN ?::timestamptz + (?::bigint / 3 + floor(%s * LEAST(?::bigint / 3, 3600000000))::bigint) * interval '1 microsecond'
                      ELSE ?::timestamptz + floor((%s * %s) * ?::bigint)::bigint * interval '1 microsecond' END AS ts,
                 %s AS r_rev, %s AS r_null, %s AS r_score, %s AS r_text
          FROM generate_series(?::bigint + 1, ?::bigint + ?::bigint) AS i)
        INSERT INTO director.scorecards (scorecard_id, customer_id, profile_id, template_id, template_revision, conversation_id,
                                         agent_user_id, creator_user_id, submitter_user_id, score, submitted_at, created_at, updated_at)
        SELECT ? || 'sc-' || md5(? || ':' || g.i)::uuid, revs.customer_id, revs.profile_id, revs.template_id, revs.revision,
               CASE WHEN ? THEN NULL ELSE ? || 'conv-' || (1 + g.i %% ?::bigint) END,
               CASE WHEN g.r_null < 0.1 THEN NULL ELSE ? || 'agent-' || (g.i %% 37) END,
               ? || 'creator-' || (g.i %% 11),
               CASE WHEN g.r_null < 0.3 THEN NULL ELSE ? || 'submitter-' || (g.i %% 13) END,
               CASE WHEN g.r_score < 0.2 THEN NULL WHEN g.r_score < 0.25 THEN 0 ELSE round((g.r_score * 100)::numeric, 6)::float8 END,
               CASE WHEN g.r_null < 0.3 THEN NULL ELSE g.ts - (g.r_text * 3600) * interval '1 second' END,
               g.ts - (1 + g.r_text * 86400 * 3) * interval '1 second',
               g.ts
        FROM g CROSS JOIN nrevs JOIN revs ON revs.k = floor(g.r_rev * nrevs.n)
        """
            .formatted(
                u("i", 5), u("i", 6), u("i", 7), u("i", 8), u("i", 9), u("i", 10), u("i", 11));
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int k = 1;
      long length = spec.window().endMicros() - spec.window().startMicros();
      java.time.OffsetDateTime start = spec.window().start().atOffset(java.time.ZoneOffset.UTC);
      ps.setInt(k++, process ? 2 : 1);
      ps.setString(k++, spec.prefix());
      ps.setObject(k++, start);
      ps.setLong(k++, length);
      ps.setLong(k++, spec.seed());
      ps.setLong(k++, length);
      ps.setObject(k++, start);
      ps.setLong(k++, spec.seed());
      ps.setLong(k++, spec.seed());
      ps.setLong(k++, length);
      for (int s = 0; s < 4; s++) {
        ps.setLong(k++, spec.seed());
      }
      ps.setLong(k++, offset);
      ps.setLong(k++, offset);
      ps.setLong(k++, n);
      ps.setString(k++, spec.prefix());
      ps.setString(k++, spec.prefix());
      ps.setBoolean(k++, process);
      ps.setString(k++, spec.prefix());
      ps.setLong(k++, conversations);
      ps.setString(k++, spec.prefix());
      ps.setString(k++, spec.prefix());
      ps.setString(k, spec.prefix());
      return ps.executeUpdate();
    }
  }

  /** Between 0 and 2m scores a scorecard (m on average), so some have none. */
  private static long scores(Connection c, Spec spec) throws SQLException {
    String sql =
        """
        INSERT INTO director.historic_scorecard_scores (scorecard_id, criterion_id, numeric_value, not_applicable, ai_scored, comment, created_at, updated_at)
        SELECT s.scorecard_id, 'crit-' || j,
               CASE WHEN x.r < 0.1 THEN NULL ELSE round((x.r * 10)::numeric, 4)::float8 + CASE WHEN j %% 7 = 0 THEN 0.0000001 ELSE 0 END END,
               x.r < 0.05, (x.r * 1000)::int %% 2 = 0,
               CASE WHEN x.r2 < 0.5 THEN NULL ELSE (%s)[1 + floor(x.r2 * 1000)::int %% 7] END,
               s.created_at,
               s.created_at + (s.updated_at - s.created_at) * x.r2
        FROM director.scorecards s
        CROSS JOIN LATERAL generate_series(1, floor(%s * (2 * ? + 1))::int) AS j
        CROSS JOIN LATERAL (SELECT %s AS r, %s AS r2) x
        WHERE s.scorecard_id LIKE ? || '%%'
        """
            .formatted(
                TEXTS,
                u("hashtext(s.scorecard_id)::bigint", 12),
                u("hashtext(s.scorecard_id)::bigint * 100 + j", 13),
                u("hashtext(s.scorecard_id)::bigint * 100 + j", 14));
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int k = 1;
      ps.setLong(k++, spec.seed());
      ps.setInt(k++, spec.scoresPerScorecard());
      ps.setLong(k++, spec.seed());
      ps.setLong(k++, spec.seed());
      ps.setString(k, spec.prefix());
      return ps.executeUpdate();
    }
  }
}
