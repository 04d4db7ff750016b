package dev.scorecards.reindex.accounting;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.common.hash.Hashing;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Our SipHash-2-4 against Guava's, on every length across the word boundaries and any bytes. */
class SipHashTest {
  @Test
  void itIsGuavasSipHash24WithKeyZero() {
    Random random = new Random(7);
    for (int length = 0; length <= 80; length++) {
      for (int sample = 0; sample < 20; sample++) {
        byte[] message = new byte[length];
        random.nextBytes(message);
        long guava = Hashing.sipHash24(0, 0).hashBytes(message).asLong();
        assertThat(SipHash.hash24(message)).as("length %d", length).isEqualTo(guava);
        // The same bytes at the start of a longer buffer, the rest of it not hashed.
        byte[] longer = java.util.Arrays.copyOf(message, length + 1 + random.nextInt(16));
        longer[length] = (byte) (1 + random.nextInt(255));
        assertThat(SipHash.hash24(longer, length))
            .as("length %d of %d", length, longer.length)
            .isEqualTo(guava);
      }
    }
  }

  @Test
  void theReferenceVectorOfTheEmptyMessage() {
    // SipHash-2-4 of the empty message with the zero key, as ClickHouse 18.16.1 answers SELECT
    // sipHash64('').
    assertThat(Long.toUnsignedString(SipHash.hash24(new byte[0]))).isEqualTo("2202906307356721367");
  }
}
