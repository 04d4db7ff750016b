package dev.scorecards.reindex.runners;

import static dev.scorecards.reindex.testing.TestDatabases.score;
import static dev.scorecards.reindex.testing.TestDatabases.scorecard;
import static dev.scorecards.reindex.testing.TestDatabases.template;
import static org.assertj.core.api.Assertions.assertThat;

import dev.scorecards.reindex.testing.TestDatabases;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code reindex run --runner FlinkRunner} without a master: every chunk's pipeline runs on
 * embedded Flink in this JVM. The chunks must all land, verified, on one kept mini-cluster ({@link
 * EmbeddedFlink}) instead of a cluster started and shut down per chunk, with one RPC system ({@link
 * SharedRpcSystemLoader}) instead of Flink's RPC jar loaded again per cluster.
 */
class EmbeddedFlinkIT {
  @Test
  void aChunkedRunOnEmbeddedFlinkWritesEveryChunkOnOneClusterAndLoadsTheRpcSystemOnce()
      throws Exception {
    TestDatabases.prepare();
    TestDatabases.emptyAll();
    template("tpl-process", 1, 2);
    for (int i = 0; i < 30; i++) {
      String id = "sc-" + i;
      scorecard(
          id, "tpl-process", 1, null, ProcessReindexIT.START.plus(Duration.ofMinutes(40L * i + 1)));
      score(
          id, "c1", (double) i, "first", ProcessReindexIT.START.plus(Duration.ofMinutes(40L * i)));
      score(id, "c2", null, "second", ProcessReindexIT.START.plus(Duration.ofMinutes(40L * i)));
    }
    StringWriter err = new StringWriter();
    CommandLine cli = ReindexCli.commandLine();
    cli.setErr(new PrintWriter(err, true));
    int exit =
        cli.execute(
            "run",
            "--mode",
            "process",
            "--runner",
            "FlinkRunner",
            "--parallelism",
            "2",
            "--chunk-scorecards",
            "10",
            "--start",
            ProcessReindexIT.START.toString(),
            "--end",
            ProcessReindexIT.END.toString(),
            "--pg-url",
            TestDatabases.postgres().jdbcUrl(),
            "--ch-url",
            TestDatabases.CH_URL,
            "--ch-database",
            TestDatabases.DATABASE);

    assertThat(exit).as(err.toString()).isZero();
    ProcessReindexIT.assertClickHouseEqualsPostgres();
    assertThat(TestDatabases.clickHouseRowCount("scores")).isEqualTo(60);
    // Three chunks, one mini-cluster (started ahead of the first chunk), one RPC system.
    assertThat(EmbeddedFlink.clustersStarted()).isEqualTo(1);
    assertThat(SharedRpcSystemLoader.loads()).isEqualTo(1);
  }
}
