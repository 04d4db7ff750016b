-- The target on a cluster: the same tables as clickhouse.sql (a test fails if
-- their columns drift apart), as the analytics side runs them on a replicated,
-- sharded ClickHouse. On every node <name>_local is a ReplicatedReplacingMergeTree
-- with the single-node table's version column, PARTITION BY and ORDER BY. In
-- front of them <name> is a Distributed table sharded so that every version of a
-- row lands on the same shard: by scorecard_id for scorecards and scores, by
-- conversation_id for conversations. Cluster reindex_cluster, database reindex,
-- macros {shard} and {replica} (the local cluster of tools/local/cluster.sh).

CREATE TABLE IF NOT EXISTS reindex.conversations_local ON CLUSTER reindex_cluster (
    customer_id      String,
    profile_id       String,
    conversation_id  String,
    agent_user_id    String,
    channel          UInt8,
    language         String,
    start_time       DateTime,
    end_time         Nullable(DateTime),
    create_time      DateTime,
    update_time      DateTime
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/reindex/conversations_local', '{replica}', update_time)
PARTITION BY toYYYYMM(start_time)
ORDER BY (customer_id, profile_id, conversation_id);

CREATE TABLE IF NOT EXISTS reindex.conversations ON CLUSTER reindex_cluster
AS reindex.conversations_local
ENGINE = Distributed(reindex_cluster, reindex, conversations_local, sipHash64(conversation_id));

CREATE TABLE IF NOT EXISTS reindex.scorecards_local ON CLUSTER reindex_cluster (
    customer_id           String,
    profile_id            String,
    scorecard_id          String,
    template_id           String,
    template_revision     Int32,
    is_process_scorecard  UInt8,
    conversation_id       String,
    agent_user_id         String,
    creator_user_id       String,
    submitter_user_id     String,
    score                 Nullable(Float64),
    submit_time           Nullable(DateTime),
    create_time           DateTime,
    update_time           DateTime
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/reindex/scorecards_local', '{replica}', update_time)
PARTITION BY toYYYYMM(create_time)
ORDER BY (customer_id, profile_id, scorecard_id);

CREATE TABLE IF NOT EXISTS reindex.scorecards ON CLUSTER reindex_cluster
AS reindex.scorecards_local
ENGINE = Distributed(reindex_cluster, reindex, scorecards_local, sipHash64(scorecard_id));

CREATE TABLE IF NOT EXISTS reindex.scores_local ON CLUSTER reindex_cluster (
    customer_id            String,
    profile_id             String,
    scorecard_id           String,
    criterion_id           String,
    is_process_scorecard   UInt8,
    conversation_id        String,
    numeric_value          Nullable(Float64),
    not_applicable         UInt8,
    ai_scored              UInt8,
    comment                String,
    scorecard_create_time  DateTime,
    update_time            DateTime
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/reindex/scores_local', '{replica}', update_time)
PARTITION BY toYYYYMM(scorecard_create_time)
ORDER BY (customer_id, profile_id, scorecard_id, criterion_id);

CREATE TABLE IF NOT EXISTS reindex.scores ON CLUSTER reindex_cluster
AS reindex.scores_local
ENGINE = Distributed(reindex_cluster, reindex, scores_local, sipHash64(scorecard_id));
