package dev.scorecards.reindex.tools.current;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A test front for the current ClickHouse engine (chDB, a library): the part of ClickHouse's HTTP
 * interface this tool and ClickHouseIO's driver use, every statement run on the engine. A developer
 * tool, not a ClickHouse server; what it leaves out is in tools/current-engine/README.md.
 *
 * <p>Arguments: PORT DATA_DIR LIBCHDB
 */
public final class CurrentEngineFront {
  /** URL parameters that are not settings. */
  static final Set<String> NOT_SETTINGS =
      Set.of(
          "query",
          "database",
          "default_format",
          "user",
          "password",
          "compress",
          "decompress",
          "session_id",
          "session_timeout",
          "session_check",
          "query_id",
          "quota_key",
          "buffer_size",
          "wait_end_of_query",
          "enable_http_compression",
          "send_progress_in_http_headers",
          "http_headers_progress_interval_ms",
          "client_protocol_version");

  private static final Pattern CODE = Pattern.compile("Code: (\\d+)");

  /**
   * Settings whose default differs between the library and a server, set to the server's: chDB
   * waits for mutations ({@code mutations_sync} 1), a server does not.
   */
  static final Map<String, String> SERVER_DEFAULTS = Map.of("mutations_sync", "0");

  /** An INSERT whose data follows: its FORMAT clause ends the statement. */
  static final Pattern INSERT_FORMAT =
      Pattern.compile("(?is)^\\s*INSERT\\s.*\\sFORMAT\\s+(\\w+)\\s*$");

  /** The start of a body that carries an INSERT statement and then its data. */
  static final Pattern INSERT_HEAD =
      Pattern.compile("(?is)^(\\s*INSERT\\s.*?\\s)FORMAT\\s+(\\w+)(\r\n|[ \t\n])");

  /**
   * For an INSERT with data (in the body after the {@code query} parameter, or after the statement
   * in the body): the statement without its FORMAT clause, the format, and where the data starts in
   * the body; null otherwise.
   */
  static String[] insertWithData(String query, byte[] body) {
    if (body.length == 0) {
      return null;
    }
    if (query != null) {
      Matcher m = INSERT_FORMAT.matcher(query);
      return m.find()
          ? new String[] {
            query.substring(0, m.start(1)).replaceFirst("(?i)FORMAT\\s*$", ""), m.group(1), "0"
          }
          : null;
    }
    String head = new String(body, 0, Math.min(body.length, 1 << 16), StandardCharsets.ISO_8859_1);
    Matcher m = INSERT_HEAD.matcher(head);
    return m.find() ? new String[] {m.group(1), m.group(2), Integer.toString(m.end())} : null;
  }

  private final Chdb engine;
  private final java.nio.file.Path dataDir;

  CurrentEngineFront(Chdb engine, java.nio.file.Path dataDir) {
    this.engine = engine;
    this.dataDir = dataDir;
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Chdb engine = new Chdb(args[2], args[1]);
    for (Map.Entry<String, String> d : SERVER_DEFAULTS.entrySet()) {
      Chdb.Result r = engine.query("SET " + d.getKey() + " = " + d.getValue());
      if (r.failed()) {
        throw new IllegalStateException(r.error());
      }
    }
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    java.nio.file.Path uploads = java.nio.file.Path.of(args[1], "front-uploads");
    java.nio.file.Files.createDirectories(uploads);
    server.createContext("/", new CurrentEngineFront(engine, uploads)::handle);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
    System.out.println("current-engine front on 127.0.0.1:" + port + ", data in " + args[1]);
  }

  /** The HTTP status ClickHouse answers an error code with (those this front knows). */
  static int httpStatus(int code) {
    return switch (code) {
      case 192, 193, 194, 516 -> 401;
      case 497 -> 403;
      case 60, 81, 46 -> 404;
      case 6, 26, 27, 36, 38, 41, 43, 47, 53, 62, 115 -> 400;
      default -> 500;
    };
  }

  static Map<String, String> params(String raw) {
    Map<String, String> params = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return params;
    }
    for (String kv : raw.split("&")) {
      if (kv.isEmpty()) {
        continue;
      }
      int eq = kv.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
      params.put(k, v);
    }
    return params;
  }

  /** A multipart/form-data body's parts by name. */
  static Map<String, byte[]> parts(byte[] body, String boundary) {
    Map<String, byte[]> parts = new LinkedHashMap<>();
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i + delimiter.length <= body.length; i++) {
      if (startsWith(body, i, delimiter)) {
        at.add(i);
        i += delimiter.length - 1;
      }
    }
    for (int p = 0; p + 1 < at.size(); p++) {
      int start = at.get(p) + delimiter.length + 2;
      int end = at.get(p + 1) - 2;
      String head;
      int headEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), start);
      if (headEnd < 0 || headEnd > end) {
        continue;
      }
      head = new String(body, start, headEnd - start, StandardCharsets.ISO_8859_1);
      Matcher name = Pattern.compile("name=\"([^\"]*)\"").matcher(head);
      if (name.find()) {
        byte[] content = new byte[Math.max(0, end - (headEnd + 4))];
        System.arraycopy(body, headEnd + 4, content, 0, content.length);
        parts.put(name.group(1), content);
      }
    }
    return parts;
  }

  private static boolean startsWith(byte[] data, int at, byte[] prefix) {
    for (int j = 0; j < prefix.length; j++) {
      if (data[at + j] != prefix[j]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] data, byte[] what, int from) {
    for (int i = from; i + what.length <= data.length; i++) {
      if (startsWith(data, i, what)) {
        return i;
      }
    }
    return -1;
  }

  static String quoteIdentifier(String name) {
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`";
  }

  static String quoteString(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private void handle(HttpExchange ex) throws IOException {
    java.nio.file.Path inserted = null;
    try (ex) {
      String path = ex.getRequestURI().getPath();
      Map<String, String> params = params(ex.getRequestURI().getRawQuery());
      byte[] body = ex.getRequestBody().readAllBytes();
      if (path.equals("/ping")
          || (path.equals("/") && !params.containsKey("query") && body.length == 0)) {
        reply(ex, 200, "Ok.\n".getBytes(StandardCharsets.UTF_8), Map.of());
        return;
      }
      Map<String, byte[]> external = new LinkedHashMap<>();
      String type = ex.getRequestHeaders().getFirst("Content-Type");
      byte[] statement;
      if (type != null && type.startsWith("multipart/form-data")) {
        String boundary = type.replaceFirst(".*boundary=\"?([^\";]+)\"?.*", "$1");
        for (Map.Entry<String, byte[]> p : parts(body, boundary).entrySet()) {
          if (p.getKey().equals("query")) {
            params.put("query", new String(p.getValue(), StandardCharsets.UTF_8));
          } else {
            external.put(p.getKey(), p.getValue());
          }
        }
        statement = params.getOrDefault("query", "").getBytes(StandardCharsets.UTF_8);
      } else if (insertWithData(params.get("query"), body) != null) {
        // An INSERT's data goes through a file: inline after the statement, the engine drops
        // the data's trailing bytes that look like white space (RowBinary rows came short).
        String[] insert = insertWithData(params.get("query"), body);
        int dataStart = Integer.parseInt(insert[2]);
        java.nio.file.Path data = java.nio.file.Files.createTempFile(dataDir, "insert-", ".bin");
        java.nio.file.Files.write(data, java.util.Arrays.copyOfRange(body, dataStart, body.length));
        inserted = data;
        statement =
            (insert[0] + " FROM INFILE " + quoteString(data.toString()) + " FORMAT " + insert[1])
                .getBytes(StandardCharsets.UTF_8);
      } else if (params.containsKey("query")) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(params.get("query").getBytes(StandardCharsets.UTF_8));
        if (body.length > 0) {
          all.write('\n');
          all.writeBytes(body);
        }
        statement = all.toByteArray();
      } else {
        statement = body;
      }
      if (statement.length == 0) {
        error(ex, "Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)");
        return;
      }
      String format = params.getOrDefault("default_format", "TabSeparated");
      Chdb.Result result = run(params, external, statement, format);
      if (result.failed()) {
        error(ex, result.error());
        return;
      }
      Map<String, String> headers = new LinkedHashMap<>();
      headers.put("X-ClickHouse-Format", format);
      headers.put(
          "X-ClickHouse-Summary",
          String.format(
              "{\"read_rows\":\"%d\",\"read_bytes\":\"%d\",\"written_rows\":\"%d\","
                  + "\"written_bytes\":\"%d\",\"total_rows_to_read\":\"0\"}",
              result.rowsRead(), result.bytesRead(), result.rowsWritten(), result.bytesWritten()));
      reply(ex, 200, result.data(), headers);
    } catch (RuntimeException e) {
      error(ex, "Code: 1001. DB::Exception: " + e);
    } finally {
      if (inserted != null) {
        java.nio.file.Files.deleteIfExists(inserted);
      }
    }
  }

  /** One request's statement with its database, settings and external tables, then undone. */
  private Chdb.Result run(
      Map<String, String> params, Map<String, byte[]> external, byte[] statement, String format) {
    synchronized (engine) {
      List<String> set = new ArrayList<>();
      List<String> tables = new ArrayList<>();
      try {
        Chdb.Result use =
            engine.query("USE " + quoteIdentifier(params.getOrDefault("database", "default")));
        if (use.failed()) {
          return use;
        }
        for (Map.Entry<String, String> p : params.entrySet()) {
          String k = p.getKey();
          boolean externalParam =
              external.keySet().stream()
                  .anyMatch(
                      t ->
                          k.equals(t + "_structure")
                              || k.equals(t + "_format")
                              || k.equals(t + "_types"));
          if (NOT_SETTINGS.contains(k) || externalParam) {
            continue;
          }
          Chdb.Result s =
              engine.query("SET " + quoteIdentifier(k) + " = " + quoteString(p.getValue()));
          if (s.failed()) {
            return s;
          }
          set.add(k);
        }
        for (Map.Entry<String, byte[]> t : external.entrySet()) {
          String name = t.getKey();
          String structure = params.get(name + "_structure");
          if (structure == null) {
            return new Chdb.Result(
                new byte[0],
                "Code: 36. DB::Exception: no " + name + "_structure for the external table " + name,
                0,
                0,
                0,
                0);
          }
          Chdb.Result created =
              engine.query(
                  "CREATE TEMPORARY TABLE " + quoteIdentifier(name) + " (" + structure + ")");
          if (created.failed()) {
            return created;
          }
          tables.add(name);
          ByteArrayOutputStream insert = new ByteArrayOutputStream();
          insert.writeBytes(
              ("INSERT INTO "
                      + quoteIdentifier(name)
                      + " FORMAT "
                      + params.getOrDefault(name + "_format", "TabSeparated")
                      + "\n")
                  .getBytes(StandardCharsets.UTF_8));
          insert.writeBytes(t.getValue());
          Chdb.Result inserted = engine.query(insert.toByteArray(), "TabSeparated");
          if (inserted.failed()) {
            return inserted;
          }
        }
        return engine.query(statement, format);
      } finally {
        for (String t : tables) {
          engine.query("DROP TEMPORARY TABLE IF EXISTS " + quoteIdentifier(t));
        }
        for (String k : set) {
          engine.query(
              "SET "
                  + quoteIdentifier(k)
                  + " = "
                  + (SERVER_DEFAULTS.containsKey(k) ? SERVER_DEFAULTS.get(k) : "DEFAULT"));
        }
      }
    }
  }

  private static void error(HttpExchange ex, String message) throws IOException {
    Matcher m = CODE.matcher(message);
    int code = m.find() ? Integer.parseInt(m.group(1)) : 1000;
    reply(
        ex,
        httpStatus(code),
        (message.endsWith("\n") ? message : message + "\n").getBytes(StandardCharsets.UTF_8),
        Map.of("X-ClickHouse-Exception-Code", Integer.toString(code)));
  }

  private static void reply(HttpExchange ex, int status, byte[] data, Map<String, String> headers)
      throws IOException {
    headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=UTF-8");
    ex.getResponseHeaders().set("X-ClickHouse-Server-Display-Name", "current-engine-front");
    ex.getResponseHeaders().set("X-ClickHouse-Query-Id", UUID.randomUUID().toString());
    ex.getResponseHeaders().set("X-ClickHouse-Timezone", "UTC");
    ex.sendResponseHeaders(status, data.length == 0 ? -1 : data.length);
    if (data.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(data);
      }
    }
  }
}
