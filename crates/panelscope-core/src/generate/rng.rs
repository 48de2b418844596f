//! SplitMix64: a tiny deterministic generator, so that a seed always gives the same capture.

use std::f64::consts::TAU;

/// Weyl-sequence increment of SplitMix64 (the golden ratio in 64 bits).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The SplitMix64 output function (Steele, Lea & Flood, 2014).
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One SplitMix64 stream of random numbers.
#[derive(Debug, Clone)]
pub(super) struct Rng {
    state: u64,
    spare_normal: Option<f64>,
}

impl Rng {
    /// The stream for `purpose` under `seed`: every part of the generator draws from its own
    /// stream, so drawing more numbers in one part leaves the others unchanged.
    pub(super) fn stream(seed: u64, purpose: u64) -> Self {
        let state = mix(seed ^ mix(purpose.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA)));
        Self { state, spare_normal: None }
    }

    /// The next 64 random bits.
    pub(super) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN_GAMMA);
        mix(self.state)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub(super) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// True with probability `p`.
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// `+1.0` or `-1.0` with equal probability.
    pub(super) fn sign(&mut self) -> f64 {
        if self.chance(0.5) { 1.0 } else { -1.0 }
    }

    /// Standard normal (Box-Muller; the second value of each pair is kept for the next call).
    pub(super) fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let radius = (-2.0 * (1.0 - self.unit()).ln()).sqrt();
        let (sin, cos) = (TAU * self.unit()).sin_cos();
        self.spare_normal = Some(radius * sin);
        radius * cos
    }
}
