package dev.scorecards.reindex.runners;

import com.google.protobuf.util.JsonFormat;
import dev.scorecards.reindex.proto.Job;
import dev.scorecards.reindex.proto.JobPayload;
import dev.scorecards.reindex.proto.JobType;
import dev.scorecards.reindex.proto.ReindexProcessScorecardsPayload;
import dev.scorecards.reindex.runners.jobs.Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code reindex job ...}: a client of {@code reindex serve}, and the tokens it needs. */
@Command(
    name = "job",
    mixinStandardHelpOptions = true,
    description = "Submit a job to the job handler, or look at one.",
    subcommands = {JobCommand.Submit.class, JobCommand.Status.class, JobCommand.NewToken.class})
public class JobCommand {
  /** A {@code job} subcommand that talks to the job handler. */
  abstract static class Client implements CliSettings.Command {
    @Spec CommandSpec spec;

    @Override
    public Set<Setting.Group> settingGroups() {
      return EnumSet.of(Setting.Group.CLIENT);
    }

    @Override
    public CommandSpec spec() {
      return spec;
    }

    /** The job handler's address with {@code path} appended. */
    URI server(String path) {
      String server = settings().text(Setting.JOB_SERVER).strip();
      while (server.endsWith("/")) {
        server = server.substring(0, server.length() - 1);
      }
      return URI.create(server + path);
    }

    int send(HttpRequest.Builder request) throws Exception {
      try {
        return JobCommand.send(request, settings().text(Setting.TOKEN));
      } catch (java.net.ConnectException | java.net.http.HttpConnectTimeoutException e) {
        // The client's own exceptions carry no message: say which server did not answer.
        throw new java.net.ConnectException(
            "the job handler at "
                + server("")
                + " did not answer (is `reindex serve` running there? --server, REINDEX_SERVER)");
      }
    }
  }

  static String token(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("REINDEX_TOKEN must hold your bearer token");
    }
    // Checked here so that no library error message ever repeats the token.
    if (!token.strip().matches("[\\x21-\\x7e]+")) {
      throw new IllegalArgumentException(
          "REINDEX_TOKEN holds characters a bearer token cannot have (spaces, line breaks or non-ASCII)");
    }
    return token.strip();
  }

  static int send(HttpRequest.Builder request, String token) throws Exception {
    HttpResponse<String> response =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(10))
            .build()
            .send(
                request
                    .header("Authorization", "Bearer " + token(token))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    System.out.println(response.body());
    return response.statusCode() / 100 == 2
        ? ExitCodes.OK
        : response.statusCode() == 400 ? ExitCodes.USAGE : ExitCodes.FAILED;
  }

  @Command(
      name = "submit",
      mixinStandardHelpOptions = true,
      description =
          "Submit a process reindex; the file holds a ReindexProcessScorecardsPayload or a whole Job, as proto JSON.")
  static class Submit extends Client implements Callable<Integer> {
    @Option(names = "--payload", required = true, description = "the JSON file")
    Path payload;

    @Override
    public Integer call() throws Exception {
      String text = Files.readString(payload);
      Job job;
      if (text.contains("\"payload\"")) {
        Job.Builder b = Job.newBuilder();
        JsonFormat.parser().merge(text, b);
        job = b.build();
      } else {
        ReindexProcessScorecardsPayload.Builder p = ReindexProcessScorecardsPayload.newBuilder();
        JsonFormat.parser().merge(text, p);
        job =
            Job.newBuilder()
                .setType(JobType.JOB_TYPE_REINDEX_PROCESS_SCORECARDS)
                .setPayload(JobPayload.newBuilder().setReindexProcessScorecards(p))
                .build();
      }
      return send(
          HttpRequest.newBuilder(server("/v1/jobs"))
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(JsonFormat.printer().print(job))));
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Show a job's state.")
  static class Status extends Client implements Callable<Integer> {
    @Parameters(index = "0", description = "the job id")
    String id;

    @Override
    public Integer call() throws Exception {
      return send(HttpRequest.newBuilder(server("/v1/jobs/" + id)).GET());
    }
  }

  @Command(
      name = "new-token",
      mixinStandardHelpOptions = true,
      description =
          "Make a token: prints it once, and the line for the tokens file (which keeps only its hash).")
  static class NewToken implements Callable<Integer> {
    @Option(names = "--caller", required = true)
    String caller;

    @Option(names = "--role", required = true, description = "e.g. ADMIN, SUPER_ADMIN, VIEWER")
    String role;

    @Override
    public Integer call() {
      String token = Tokens.newToken();
      System.out.println("token (give it to " + caller + "; it is not stored): " + token);
      System.out.println("tokens file line: " + Tokens.sha256(token) + " " + caller + " " + role);
      return ExitCodes.OK;
    }
  }
}
