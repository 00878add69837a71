//! A latency histogram with logarithmic buckets, each split into linear sub-buckets, so that
//! every recorded value is kept to within 1/128 of itself (under 0.8 %) at a fixed size.

use std::time::Duration;

/// Bits of linear resolution inside each power of two.
const SUB_BITS: u32 = 7;

/// Sub-buckets per power of two.
const SUB: u64 = 1 << SUB_BITS;

/// Buckets needed for every `u64`: the exact values below `SUB`, then `SUB` per power of two.
const BUCKETS: usize = ((64 - SUB_BITS as usize) + 1) * SUB as usize;

/// Counts of latencies in nanoseconds.
#[derive(Clone)]
pub struct Histogram {
    /// One count per bucket.
    counts: Vec<u64>,
    /// The number of recorded values.
    total: u64,
    /// The sum of recorded values, for the mean.
    sum: u128,
    /// The largest recorded value.
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            sum: 0,
            max: 0,
        }
    }
}

impl Histogram {
    /// Records one latency.
    pub fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.counts[index_of(nanos)] += 1;
        self.total += 1;
        self.sum += u128::from(nanos);
        self.max = self.max.max(nanos);
    }

    /// Adds every count of `other` to this histogram.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.max = self.max.max(other.max);
    }

    /// The number of recorded values.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// The value at quantile `q` (0.0 to 1.0): the upper edge of the bucket holding it.
    pub fn quantile(&self, q: f64) -> Duration {
        // The rank of the wanted value, at least the first one.
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);

        // Walk the buckets until the running count reaches the rank.
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Duration::from_nanos(upper_edge(index).min(self.max));
            }
        }
        Duration::from_nanos(self.max)
    }

    /// The mean of the recorded values.
    pub fn mean(&self) -> Duration {
        match self.total {
            0 => Duration::ZERO,
            n => Duration::from_nanos(u64::try_from(self.sum / u128::from(n)).unwrap_or(u64::MAX)),
        }
    }

    /// The largest recorded value.
    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.max)
    }
}

/// The bucket of `value`.
fn index_of(value: u64) -> usize {
    // Small values have a bucket each.
    if value < SUB {
        return value as usize;
    }

    // Otherwise the power of two picks the group and the next `SUB_BITS` bits the sub-bucket.
    let top_bit = 63 - value.leading_zeros();
    let shift = top_bit - SUB_BITS;
    let group = u64::from(shift) + 1;
    (group * SUB + ((value >> shift) & (SUB - 1))) as usize
}

/// The largest value that falls in bucket `index`.
fn upper_edge(index: usize) -> u64 {
    let index = index as u64;
    if index < SUB {
        return index;
    }
    let shift = index / SUB - 1;
    let low = ((SUB + index % SUB) << shift) as u128;
    (low + (1u128 << shift) - 1).min(u128::from(u64::MAX)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_bound_their_values() {
        for value in [
            0,
            1,
            127,
            128,
            255,
            256,
            1000,
            12_345_678,
            u64::MAX / 3,
            u64::MAX,
        ] {
            let index = index_of(value);
            assert!(upper_edge(index) >= value, "{value}");
            if index > 0 {
                assert!(upper_edge(index - 1) < value, "{value}");
            }
        }
        assert_eq!(index_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_are_within_one_percent() {
        let mut h = Histogram::default();
        for micros in 1..=10_000u64 {
            h.record(Duration::from_micros(micros));
        }
        let p50 = h.quantile(0.5).as_secs_f64() * 1e6;
        let p99 = h.quantile(0.99).as_secs_f64() * 1e6;
        assert!((p50 - 5_000.0).abs() / 5_000.0 < 0.01, "{p50}");
        assert!((p99 - 9_900.0).abs() / 9_900.0 < 0.01, "{p99}");
        assert_eq!(h.len(), 10_000);
        assert_eq!(h.max(), Duration::from_micros(10_000));
    }

    #[test]
    fn merge_adds_counts() {
        let mut a = Histogram::default();
        let mut b = Histogram::default();
        a.record(Duration::from_millis(1));
        b.record(Duration::from_millis(3));
        a.merge(&b);
        assert_eq!(a.len(), 2);
        assert_eq!(a.mean(), Duration::from_millis(2));
    }
}
