//! Exponential backoff with jitter, the one schedule every retry in sqlsynth
//! follows: a query's transient error, an LLM call, a broker reconnect, a
//! Redis probe and a job's redelivery. It sits below every stage, so none of
//! them borrows another's.
//!
//! Attempt `n` (0-based) waits at most `first * 2^n`, capped at `max`;
//! [`Backoff::delay`] draws from the upper half of that ceiling ("equal
//! jitter"), so many workers do not retry in step and no wait is shorter
//! than half the schedule says.

use std::time::Duration;

/// An exponential schedule: `first`, doubling, capped at `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
}

/// Retries of one query or one LLM call: from 100 ms, capped at 5 s.
pub const QUICK_RETRY: Backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));

impl Backoff {
    pub const fn new(first: Duration, max: Duration) -> Backoff {
        Backoff { first, max }
    }

    /// The longest wait before retry `attempt` (0-based), without jitter.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        self.first.saturating_mul(1u32 << attempt.min(20)).min(self.max)
    }

    /// The wait before retry `attempt`: uniform in `[ceiling / 2, ceiling]`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.ceiling(attempt).as_millis() as u64;
        Duration::from_millis(fastrand::u64(ceiling / 2..=ceiling))
    }
}

/// The wait before retry `attempt` of a query or an LLM call ([`QUICK_RETRY`]).
pub fn retry_delay(attempt: u32) -> Duration {
    QUICK_RETRY.delay(attempt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_stay_within_half_and_whole_ceiling_and_are_bounded() {
        for attempt in 0..40 {
            let d = retry_delay(attempt);
            let ceiling = (100u64 << attempt.min(6)).min(5_000);
            assert!(d >= Duration::from_millis(ceiling / 2) && d <= Duration::from_millis(ceiling), "{attempt}: {d:?}");
        }
        let slow = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        assert_eq!(slow.ceiling(0), Duration::from_secs(1));
        assert_eq!(slow.ceiling(3), Duration::from_secs(8));
        assert_eq!(slow.ceiling(30), Duration::from_secs(60));
        assert_eq!(Backoff::new(Duration::ZERO, Duration::ZERO).delay(5), Duration::ZERO);
    }
}
