package dev.scorecards.reindex.clickhouse;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Queries, mutations and checks against ClickHouse over its HTTP interface (the writes of rows go
 * through ClickHouseIO). Results come back as TabSeparated text, which ClickHouse 18.16 and current
 * releases both speak. Every request has a connect and a request time-out. Credentials travel in a
 * Basic authorization header, never in the URL.
 */
public final class ClickHouseClient {
  /** Mutations name thousands of ids; the default 256 KiB query size is too small for that. */
  static final long MAX_QUERY_SIZE = 64L << 20;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  private final ClickHouseSettings settings;
  private final HttpClient http;
  private final Duration requestTimeout;
  private final String extraSettings;

  public ClickHouseClient(ClickHouseSettings settings) {
    this(settings, Duration.ofMinutes(10));
  }

  public ClickHouseClient(ClickHouseSettings settings, Duration requestTimeout) {
    this(
        settings,
        HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build(),
        requestTimeout,
        "");
  }

  private ClickHouseClient(
      ClickHouseSettings settings, HttpClient http, Duration requestTimeout, String extraSettings) {
    this.settings = settings;
    this.http = http;
    this.requestTimeout = requestTimeout;
    this.extraSettings = extraSettings;
  }

  /** A client that sends a ClickHouse setting with every request. */
  public ClickHouseClient withSetting(String name, String value) {
    ClickHouseSettings.requireIdentifier("ClickHouse setting", name);
    return new ClickHouseClient(
        settings, http, requestTimeout, extraSettings + "&" + name + "=" + enc(value));
  }

  /** This client over settings whose topology is known ({@link ClickHouseSettings#resolved}). */
  public ClickHouseClient resolved() {
    return settings.topology().known()
        ? this
        : new ClickHouseClient(settings.resolved(), http, requestTimeout, extraSettings);
  }

  public ClickHouseSettings settings() {
    return settings;
  }

  /** Runs a statement or query and returns the response body. */
  public String execute(String sql) {
    return send(sql, HttpRequest.BodyPublishers.ofString(sql), null, "");
  }

  /** Runs a query and returns its rows, each a list of unescaped TabSeparated fields. */
  public List<List<String>> rows(String sql) {
    return parseTsv(execute(sql + "\nFORMAT TabSeparated"));
  }

  public long count(String sql) {
    return Long.parseLong(execute(sql).trim());
  }

  /**
   * Inserts TabSeparated rows into {@code table} (qualified by the database): the statement travels
   * in the URL, the values in the body, so no value is ever parsed as SQL.
   */
  public void insertTsv(String table, CharSequence tsv) {
    String sql =
        "INSERT INTO "
            + settings.database()
            + "."
            + ClickHouseSettings.requireIdentifier("ClickHouse table", table)
            + " FORMAT TabSeparated";
    send(sql, HttpRequest.BodyPublishers.ofString(tsv.toString()), null, "&query=" + enc(sql));
  }

  /** Writes the rows of an external table as UTF-8 TabSeparated bytes, one line a row. */
  public interface RowsWriter {
    void write(java.io.OutputStream out) throws Exception;
  }

  /**
   * As {@link #executeWithExternalTable(String, String, String, CharSequence)}, with the rows
   * streamed while {@code rows} produces them (from a PostgreSQL cursor, say): the source and
   * ClickHouse work at the same time and nothing holds all the rows in memory.
   */
  public String executeWithStreamedExternalTable(
      String sql, String name, String structure, RowsWriter rows) {
    String boundary = "reindex-" + UUID.randomUUID();
    java.io.PipedInputStream in = new java.io.PipedInputStream(1 << 20);
    java.util.concurrent.CompletableFuture<Void> produced =
        new java.util.concurrent.CompletableFuture<>();
    java.io.PipedOutputStream pipe;
    try {
      pipe = new java.io.PipedOutputStream(in);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Thread producer =
        new Thread(
            () -> {
              try (java.io.OutputStream out = new java.io.BufferedOutputStream(pipe, 1 << 16)) {
                out.write(partHead(boundary, name).getBytes(StandardCharsets.UTF_8));
                rows.write(out);
                out.write(partTail(boundary).getBytes(StandardCharsets.UTF_8));
                produced.complete(null);
              } catch (Throwable t) {
                produced.completeExceptionally(t);
              }
            },
            "reindex-external-table");
    producer.setDaemon(true);
    producer.start();
    String result;
    try {
      result =
          send(
              sql,
              HttpRequest.BodyPublishers.ofInputStream(() -> in),
              "multipart/form-data; boundary=" + boundary,
              externalTableParams(sql, name, structure),
              true);
    } catch (RuntimeException e) {
      producer.interrupt();
      throw e;
    }
    try {
      produced.join();
    } catch (java.util.concurrent.CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(
          "producing the rows of the external table " + name + " failed: " + cause, cause);
    }
    return result;
  }

  /**
   * Runs {@code sql} with an external table {@code name} of the given structure (for example {@code
   * "id String, t UInt32"}) holding {@code tsv}: one TabSeparated line a row. ClickHouse joins it
   * like a temporary table, so thousands of keys can be looked up without being spelled into the
   * query.
   */
  public String executeWithExternalTable(
      String sql, String name, String structure, CharSequence tsv) {
    String boundary = "reindex-" + UUID.randomUUID();
    String body = partHead(boundary, name) + tsv + partTail(boundary);
    return send(
        sql,
        HttpRequest.BodyPublishers.ofString(body),
        "multipart/form-data; boundary=" + boundary,
        externalTableParams(sql, name, structure));
  }

  private static String partHead(String boundary, String name) {
    return "--"
        + boundary
        + "\r\n"
        + "Content-Disposition: form-data; name=\""
        + name
        + "\"; filename=\""
        + name
        + "\"\r\n"
        + "Content-Type: application/octet-stream\r\n\r\n";
  }

  private static String partTail(String boundary) {
    return "\r\n--" + boundary + "--\r\n";
  }

  private static String externalTableParams(String sql, String name, String structure) {
    return "&query="
        + enc(sql)
        + "&"
        + enc(name)
        + "_structure="
        + enc(structure)
        + "&"
        + enc(name)
        + "_format=TabSeparated";
  }

  private static final String STALE_CONNECTION = "HTTP/1.1 header parser received no bytes";

  static {
    // Drop idle connections before ClickHouse does (keep_alive_timeout, 3 s by default), so that
    // requests seldom meet a connection the server has closed. Read once by the JDK's client.
    if (System.getProperty("jdk.httpclient.keepalive.timeout") == null) {
      System.setProperty("jdk.httpclient.keepalive.timeout", "2");
    }
  }

  private String send(
      String sql, HttpRequest.BodyPublisher body, String contentType, String extraParams) {
    return send(sql, body, contentType, extraParams, false);
  }

  private String send(
      String sql,
      HttpRequest.BodyPublisher body,
      String contentType,
      String extraParams,
      boolean streamed) {
    URI uri =
        URI.create(
            settings.uri()
                + "?database="
                + enc(settings.database())
                + "&max_query_size="
                + MAX_QUERY_SIZE
                + extraSettings
                + extraParams);
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(requestTimeout).POST(body);
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    String credentials =
        settings.user() + ":" + (settings.password() == null ? "" : settings.password());
    request.header(
        "Authorization",
        "Basic "
            + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
    HttpResponse<String> response;
    try {
      try {
        // A streamed body cannot be sent twice, so it never goes out on a kept-alive connection
        // that ClickHouse may have closed meanwhile (seen once in CI as "http1_0 content, bytes
        // received: 0"): a client of its own opens a new connection for it.
        HttpClient client =
            streamed ? HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).build() : http;
        response =
            client.send(
                request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        // A kept-alive connection that ClickHouse closed meanwhile (its keep_alive_timeout is
        // 3 s) fails before the server saw the request: send it once more on a new connection.
        if (!STALE_CONNECTION.equals(e.getMessage()) || streamed) {
          throw e;
        }
        response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      }
    } catch (javax.net.ssl.SSLException e) {
      // Not the network: the same certificate or protocol fails the same way on every try.
      throw new ClickHouseQueryException(
          "the TLS handshake with ClickHouse at "
              + settings.httpUrl()
              + " failed (a certificate this JVM does not trust, or no TLS there): "
              + describe(e),
          e);
    } catch (IOException e) {
      throw new ClickHouseUnavailableException(
          "could not reach ClickHouse at " + settings.httpUrl() + ": " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClickHouseUnavailableException(
          "interrupted while waiting for ClickHouse at " + settings.httpUrl(), e);
    }
    if (response.statusCode() != 200) {
      String first = summarize(response.body());
      throw new ClickHouseQueryException(
          "ClickHouse at "
              + settings.httpUrl()
              + " refused "
              + abbreviate(sql)
              + " (HTTP "
              + response.statusCode()
              + "): "
              + first);
    }
    return response.body();
  }

  /** Set (to anything) in the environment, errors carry ClickHouse's whole answer. */
  static final boolean DEBUG = System.getenv("REINDEX_DEBUG") != null;

  private static final int SUMMARY_LENGTH = 300;

  /**
   * A ClickHouse error answer as operators see it: its first line, at most {@value #SUMMARY_LENGTH}
   * characters (the code, the exception's name and the start of its message; the rest can echo SQL
   * and data, which go to stderr, the run ledger and job reasons otherwise). {@code REINDEX_DEBUG}
   * keeps the whole answer.
   */
  static String summarize(String body) {
    String text = body == null ? "" : body.strip();
    if (DEBUG) {
      return text;
    }
    int nl = text.indexOf('\n');
    String first = nl < 0 ? text : text.substring(0, nl);
    return first.length() > SUMMARY_LENGTH
        ? first.substring(0, SUMMARY_LENGTH) + "... (REINDEX_DEBUG=1 shows all)"
        : first;
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : " " + message);
  }

  static String abbreviate(String sql) {
    String oneLine = sql.replaceAll("\\s+", " ").strip();
    return "'" + (oneLine.length() > 120 ? oneLine.substring(0, 120) + "...'" : oneLine + "'");
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** A ClickHouse string literal: backslashes and quotes escaped, everything else as it is. */
  public static String quote(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('\'');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\'' -> out.append("\\'");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\0' -> out.append("\\0");
        default -> out.append(c);
      }
    }
    return out.append('\'').toString();
  }

  /** One field for a TabSeparated body: the escapes ClickHouse reads back. */
  public static String tsvField(String value) {
    StringBuilder out = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\0' -> out.append("\\0");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  /** Rows of a TabSeparated body, each a list of unescaped fields, {@code \\N} as null. */
  public static List<List<String>> parseTsv(String body) {
    List<List<String>> rows = new ArrayList<>();
    int lineStart = 0;
    while (lineStart < body.length()) {
      int lineEnd = body.indexOf('\n', lineStart);
      if (lineEnd < 0) {
        lineEnd = body.length();
      }
      List<String> fields = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean isNull = false;
      for (int i = lineStart; i < lineEnd; i++) {
        char c = body.charAt(i);
        if (c == '\t') {
          fields.add(isNull ? null : field.toString());
          field.setLength(0);
          isNull = false;
        } else if (c == '\\' && i + 1 < lineEnd) {
          char n = body.charAt(++i);
          switch (n) {
            case 'n' -> field.append('\n');
            case 't' -> field.append('\t');
            case 'r' -> field.append('\r');
            case '0' -> field.append('\0');
            case 'b' -> field.append('\b');
            case 'f' -> field.append('\f');
            case 'N' -> isNull = field.length() == 0;
            default -> field.append(n);
          }
        } else {
          field.append(c);
        }
      }
      fields.add(isNull ? null : field.toString());
      rows.add(fields);
      lineStart = lineEnd + 1;
    }
    return rows;
  }

  /** ClickHouse could not be reached: the environment, not the request, is at fault. */
  public static class ClickHouseUnavailableException extends RuntimeException {
    public ClickHouseUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** ClickHouse answered with an error. */
  public static class ClickHouseQueryException extends RuntimeException {
    public ClickHouseQueryException(String message) {
      super(message);
    }

    public ClickHouseQueryException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
