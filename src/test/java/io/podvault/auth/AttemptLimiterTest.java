package io.podvault.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Counting attempts per key")
class AttemptLimiterTest {

  private static final long WINDOW = 15 * 60 * 1000L;

  @Test
  @DisplayName("a key may make its attempts at once, then one more each window / attempts; given-back attempts do not count")
  void bucket() {
    AttemptLimiter limiter = new AttemptLimiter(10, WINDOW, 100);
    long now = 1_000_000;
    for (int i = 0; i < 10; i++) {
      assertThat(limiter.retryAfterSeconds("k", now)).isZero();
      limiter.record("k", now);
    }
    assertThat(limiter.retryAfterSeconds("k", now)).isEqualTo(WINDOW / 10 / 1000);
    assertThat(limiter.retryAfterSeconds("other", now)).as("keys are apart").isZero();
    assertThat(limiter.retryAfterSeconds("k", now + WINDOW / 10)).isZero();

    limiter.giveBack("k", now);
    assertThat(limiter.retryAfterSeconds("k", now)).isZero();
    limiter.record("k", now);
    assertThat(limiter.retryAfterSeconds("k", now)).isPositive();
  }

  @Test
  @DisplayName("no more keys than its cap are kept, however many keys fail within the window; the least recently used go first")
  void boundedKeys() {
    AttemptLimiter limiter = new AttemptLimiter(10, WINDOW, 1_000);
    long now = 1_000_000;
    for (int i = 0; i < 200_000; i++) {
      limiter.record("key-" + i, now);
    }
    assertThat(limiter.size()).isEqualTo(1_000);
    for (int i = 0; i < 10; i++) {
      limiter.record("kept", now);
    }
    for (int i = 0; i < 999; i++) {
      limiter.record("more-" + i, now);
      assertThat(limiter.retryAfterSeconds("kept", now)).as("a key in use stays").isPositive();
    }
    assertThat(limiter.size()).isEqualTo(1_000);
  }
}
