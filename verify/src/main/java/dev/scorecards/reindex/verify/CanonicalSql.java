package dev.scorecards.reindex.verify;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The canonical text of a mapped value, computed the same way inside PostgreSQL and inside
 * ClickHouse, so that equal data gives equal text and any real difference gives different text:
 *
 * <ul>
 *   <li>strings are prefixed with their length in bytes ({@code 3:abc}), so no value can imitate a
 *       field boundary;
 *   <li>floats are their IEEE 754 bits as a signed 64-bit number, so 1.0000001 and 1.0 differ and
 *       no decimal formatting is involved;
 *   <li>NULL is {@code N}, which no other canonical value is, so NULL differs from 0 and '';
 *   <li>times are UTC epoch seconds, truncated (ClickHouse keeps whole seconds).
 * </ul>
 *
 * A row's text joins its values with {@code |}; its hash is the first 64 bits of the MD5 of that
 * text, and a bucket's checksum is the count and the sum of its rows' hashes modulo 2^64.
 */
final class CanonicalSql {
  private CanonicalSql() {}

  static String postgres(String clickHouseType, String expression) {
    switch (clickHouseType) {
      case "String":
        return "(octet_length(" + expression + ")::text || ':' || " + expression + ")";
      case "Int32":
      case "UInt8":
        return "(" + expression + ")::text";
      case "Nullable(Float64)":
        return "CASE WHEN "
            + expression
            + " IS NULL THEN 'N' ELSE ('x' || encode(float8send("
            + expression
            + "), 'hex'))::bit(64)::bigint::text END";
      case "DateTime":
        return seconds(expression);
      case "Nullable(DateTime)":
        return "CASE WHEN " + expression + " IS NULL THEN 'N' ELSE " + seconds(expression) + " END";
      default:
        throw new IllegalArgumentException("no canonical form for " + clickHouseType);
    }
  }

  /**
   * Epoch seconds, truncated. date_part's double is exact enough: PostgreSQL keeps microseconds, at
   * most 0.999999 s past a second, while a double near 2e9 resolves 2.4e-7 s; extract() would be
   * exact too but computes in numeric, several times slower.
   */
  private static String seconds(String expression) {
    return "floor(date_part('epoch', " + expression + "))::bigint::text";
  }

  static String clickHouse(String clickHouseType, String column) {
    switch (clickHouseType) {
      case "String":
        return "concat(toString(length(" + column + ")), ':', " + column + ")";
      case "Int32":
      case "UInt8":
        return "toString(" + column + ")";
      case "Nullable(Float64)":
        // reinterpretAsString drops trailing zero bytes; reinterpretAsInt64 pads them back.
        return "if(isNull("
            + column
            + "), 'N', toString(reinterpretAsInt64(reinterpretAsString(assumeNotNull("
            + column
            + ")))))";
      case "DateTime":
        return "toString(toUInt32(" + column + "))";
      case "Nullable(DateTime)":
        return "if(isNull(" + column + "), 'N', toString(toUInt32(assumeNotNull(" + column + "))))";
      default:
        throw new IllegalArgumentException("no canonical form for " + clickHouseType);
    }
  }

  static String postgresRowHash(List<String> canonicalColumns) {
    return "('x' || substr(md5("
        + String.join(" || '|' || ", canonicalColumns)
        + "), 1, 16))::bit(64)::bigint";
  }

  static String clickHouseRowHash(List<String> canonicalColumns) {
    String text =
        "concat(" + canonicalColumns.stream().collect(Collectors.joining(", '|', ")) + ")";
    return "reinterpretAsUInt64(reverse(substring(MD5(" + text + "), 1, 8)))";
  }

  /**
   * The bucket of a scorecard id: its last {@code length} characters, reversed. Ids are usually
   * UUIDs, whose ends are uniform; hashing the id instead (MD5 is the only hash both databases
   * have) cost a quarter of a clean verification's time. Characters, not bytes, on both sides, so
   * non-ASCII ids fall in the same bucket in both databases.
   */
  static String postgresBucket(String keyExpression, int length) {
    return "left(reverse(" + keyExpression + "), " + length + ")";
  }

  static String clickHouseBucket(String keyColumn, int length) {
    return "substringUTF8(reverseUTF8(" + keyColumn + "), 1, " + length + ")";
  }
}
