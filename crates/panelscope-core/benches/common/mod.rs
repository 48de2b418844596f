//! What the inner-loop benches compare against: this machine's memory read bandwidth, as a
//! pass that only reads (an XOR of every word, which the compiler vectorises and which
//! memory, not arithmetic, limits), so each kernel's figure is printed as a fraction of it.

use std::hint::black_box;
use std::time::Instant;

use rayon::prelude::*;

/// The best of `runs` timings of `f`, as GB/s over `bytes`.
pub fn best_gbps(bytes: usize, runs: usize, mut f: impl FnMut()) -> f64 {
    let best = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    bytes as f64 / best / 1e9
}

fn xor_pass(values: &[f32]) -> u32 {
    const LANES: usize = 16;
    let mut acc = [0u32; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for l in 0..LANES {
            acc[l] ^= chunk[l].to_bits();
        }
    }
    rest.iter().fold(acc.iter().fold(0, |a, &b| a ^ b), |a, v| a ^ v.to_bits())
}

/// Samples in [`large_array`]: 256 MB, eight times this machine's last-level cache.
pub const LARGE: usize = 64 << 20;

/// An array far larger than any cache, for figures that memory, not cache, limits.
pub fn large_array() -> Vec<f32> {
    panelscope_core::generate::bench_wave(LARGE, 3, 170.0)
}

/// Read bandwidth over `values` (see [`large_array`]) in GB/s: one thread, and every
/// thread of rayon's pool.
pub fn read_bandwidth(values: &[f32]) -> (f64, f64) {
    let bytes = std::mem::size_of_val(values);
    let one = best_gbps(bytes, 5, || {
        black_box(xor_pass(black_box(values)));
    });
    let all = best_gbps(bytes, 5, || {
        black_box(values.par_chunks(1 << 16).map(xor_pass).reduce(|| 0, |a, b| a ^ b));
    });
    (one, all)
}

/// Prints a kernel's speed as a fraction of the read bandwidth.
pub fn report(kernel: &str, gbps: f64, bandwidth_gbps: f64, threads: &str) {
    println!(
        "{kernel}: {gbps:.1} GB/s on {threads} = {:.0}% of the {bandwidth_gbps:.1} GB/s this machine reads with {threads}",
        100.0 * gbps / bandwidth_gbps
    );
}
