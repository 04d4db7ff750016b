package dev.scorecards.reindex.tools.current;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;

/**
 * The chDB engine (ClickHouse built as a library, {@code libchdb.so}) on one data directory, one
 * statement at a time: the library allows one connection per process and per data directory.
 */
final class Chdb implements AutoCloseable {
  /** The C functions used, as {@code chdb.h} declares them. */
  interface Lib extends Library {
    Pointer chdb_connect(int argc, String[] argv);

    Pointer chdb_query_n(Pointer conn, Pointer query, long queryLength, String format, long n);

    Pointer chdb_result_buffer(Pointer result);

    long chdb_result_length(Pointer result);

    long chdb_result_rows_read(Pointer result);

    long chdb_result_bytes_read(Pointer result);

    long chdb_result_rows_written(Pointer result);

    long chdb_result_bytes_written(Pointer result);

    String chdb_result_error(Pointer result);

    void chdb_destroy_query_result(Pointer result);

    void chdb_close_conn(Pointer conn);

    void chdb_set_signal_handlers_enabled(boolean enabled);
  }

  /** What a statement returned, or the engine's error message. */
  record Result(
      byte[] data,
      String error,
      long rowsRead,
      long bytesRead,
      long rowsWritten,
      long bytesWritten) {
    boolean failed() {
      return error != null;
    }
  }

  private final Lib lib;
  private final Pointer connection;

  Chdb(String library, String dataDir) {
    this.lib = Native.load(library, Lib.class);
    // The engine's own handlers would take the signals the JVM raises on purpose (SIGSEGV for
    // null checks, safepoints) and end the process.
    lib.chdb_set_signal_handlers_enabled(false);
    this.connection = lib.chdb_connect(2, new String[] {"clickhouse", "--path=" + dataDir});
    if (connection == null || connection.getPointer(0) == null) {
      throw new IllegalStateException("chDB could not open " + dataDir);
    }
  }

  synchronized Result query(byte[] statement, String format) {
    Memory text = new Memory(Math.max(1, statement.length));
    text.write(0, statement, 0, statement.length);
    Pointer r =
        lib.chdb_query_n(
            connection.getPointer(0),
            text,
            statement.length,
            format,
            format.getBytes(StandardCharsets.UTF_8).length);
    if (r == null) {
      return new Result(
          new byte[0], "Code: 1000. DB::Exception: chDB returned no result", 0, 0, 0, 0);
    }
    try {
      String error = lib.chdb_result_error(r);
      if (error != null && !error.isEmpty()) {
        return new Result(new byte[0], error, 0, 0, 0, 0);
      }
      long n = lib.chdb_result_length(r);
      Pointer buffer = lib.chdb_result_buffer(r);
      byte[] data = n == 0 || buffer == null ? new byte[0] : buffer.getByteArray(0, (int) n);
      return new Result(
          data,
          null,
          lib.chdb_result_rows_read(r),
          lib.chdb_result_bytes_read(r),
          lib.chdb_result_rows_written(r),
          lib.chdb_result_bytes_written(r));
    } finally {
      lib.chdb_destroy_query_result(r);
    }
  }

  Result query(String statement) {
    return query(statement.getBytes(StandardCharsets.UTF_8), "TabSeparated");
  }

  @Override
  public synchronized void close() {
    lib.chdb_close_conn(connection);
  }
}
