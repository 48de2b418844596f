//! Signals shared by the benchmarks.

/// A 60 Hz sine of `amplitude` sampled at 10 kHz plus ±0.5 of noise, cheap to make for
/// 10^8 samples (a rotating phasor, renormalised now and then; no sin calls).
pub fn wave(n: usize, seed: u64, amplitude: f32) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1d ^ seed;
    let step = 2.0 * std::f32::consts::PI * 60.0 / 10_000.0;
    let (c, s) = (step.cos(), step.sin());
    let (mut x, mut y) = (1.0f32, 0.0f32);
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (x, y) = (x * c - y * s, x * s + y * c);
            if i % 4096 == 0 {
                let r = (x * x + y * y).sqrt();
                (x, y) = (x / r, y / r);
            }
            amplitude * y + ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
        })
        .collect()
}
