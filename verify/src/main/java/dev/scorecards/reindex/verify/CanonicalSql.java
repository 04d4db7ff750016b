package dev.scorecards.reindex.verify;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The canonical text of a mapped value, computed the same way inside PostgreSQL and inside
 * ClickHouse, so that equal data gives equal text and any real difference gives different
 * text:
 * <ul>
 *   <li>strings are prefixed with their length in bytes ({@code 3:abc}), so no value can
 *       imitate a field boundary;
 *   <li>floats are their IEEE 754 bits as an unsigned 64-bit number, so 1.0000001 and 1.0
 *       differ and no decimal formatting is involved;
 *   <li>NULL is {@code N}, which no other canonical value is, so NULL differs from 0 and '';
 *   <li>times are UTC epoch seconds, truncated (ClickHouse keeps whole seconds).
 * </ul>
 * A row's text joins its values with {@code |}; its hash is the first 64 bits of the MD5 of
 * that text, and a range's checksum is the count and the sum of its rows' hashes modulo 2^64.
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
        return "CASE WHEN " + expression + " IS NULL THEN 'N' ELSE (((('x' || encode(float8send(" + expression
            + "), 'hex'))::bit(64)::bigint)::numeric % 18446744073709551616 + 18446744073709551616) % 18446744073709551616)::text END";
      case "DateTime":
        return "floor(extract(epoch FROM " + expression + "))::bigint::text";
      case "Nullable(DateTime)":
        return "CASE WHEN " + expression + " IS NULL THEN 'N' ELSE floor(extract(epoch FROM " + expression + "))::bigint::text END";
      default:
        throw new IllegalArgumentException("no canonical form for " + clickHouseType);
    }
  }

  static String clickHouse(String clickHouseType, String column) {
    switch (clickHouseType) {
      case "String":
        return "concat(toString(length(" + column + ")), ':', " + column + ")";
      case "Int32":
      case "UInt8":
        return "toString(" + column + ")";
      case "Nullable(Float64)":
        // reinterpretAsString drops trailing zero bytes; reinterpretAsUInt64 pads them back.
        return "if(isNull(" + column + "), 'N', toString(reinterpretAsUInt64(reinterpretAsString(assumeNotNull(" + column + ")))))";
      case "DateTime":
        return "toString(toUInt32(" + column + "))";
      case "Nullable(DateTime)":
        return "if(isNull(" + column + "), 'N', toString(toUInt32(assumeNotNull(" + column + "))))";
      default:
        throw new IllegalArgumentException("no canonical form for " + clickHouseType);
    }
  }

  static String postgresRowHash(List<String> canonicalColumns) {
    return "('x' || substr(md5(" + String.join(" || '|' || ", canonicalColumns) + "), 1, 16))::bit(64)::bigint";
  }

  static String clickHouseRowHash(List<String> canonicalColumns) {
    String text = "concat(" + canonicalColumns.stream().collect(Collectors.joining(", '|', ")) + ")";
    return "reinterpretAsUInt64(reverse(substring(MD5(" + text + "), 1, 8)))";
  }

  static String postgresBucket(String keyExpression, int length) {
    return "substr(md5(" + keyExpression + "), 1, " + length + ")";
  }

  static String clickHouseBucket(String keyColumn, int length) {
    return "substring(lower(hex(MD5(" + keyColumn + "))), 1, " + length + ")";
  }
}
