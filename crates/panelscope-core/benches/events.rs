//! Event detection throughput, against a plain statistics pass over the same samples.
//!
//! Eight channels (two voltages with a sag and an impulse, six currents with load steps) at
//! 10 kHz and 60 Hz. `PANELSCOPE_BENCH_SAMPLES` sets samples per channel (default 10^7).

use std::f64::consts::{SQRT_2, TAU};
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use panelscope_core::analysis::events::{DetectOptions, detect};
use panelscope_core::analysis::stats::stats;
use panelscope_core::capture::{Capture, Channel, Format};

fn samples_per_channel() -> usize {
    std::env::var("PANELSCOPE_BENCH_SAMPLES").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000)
}

const RATE_HZ: f64 = 10_000.0;

fn synthetic(n: usize) -> Capture {
    let mut c = Capture::new("bench", Format::Memory, RATE_HZ);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f64 / (1u64 << 24) as f64 - 0.5
    };
    let duration_s = n as f64 / RATE_HZ;
    for ch in 0..8 {
        let (name, unit) = if ch < 2 { (format!("V_{ch}"), "V") } else { (format!("I_{ch}"), "A") };
        let values = (0..n)
            .map(|i| {
                let t = i as f64 / RATE_HZ;
                // A sag a tenth of the way in; loads switching every few seconds.
                let rms = if ch < 2 {
                    if (0.1 * duration_s..0.1 * duration_s + 0.1).contains(&t) { 80.0 } else { 120.0 }
                } else if ((t / (1.0 + ch as f64)) as u64).is_multiple_of(2) {
                    2.0
                } else {
                    10.0
                };
                let impulse = if ch == 0 && i == n / 2 { 200.0 } else { 0.0 };
                (SQRT_2 * rms * (TAU * 60.0 * t + ch as f64).sin() + 0.05 * noise() + impulse) as f32
            })
            .collect();
        c.channels.push(Channel::analog(name, unit, None, values));
    }
    c
}

fn bench(c: &mut Criterion) {
    let n = samples_per_channel();
    let capture = synthetic(n);
    let total = (8 * n) as u64;
    let mut group = c.benchmark_group("events");
    group.sample_size(10);
    group.throughput(Throughput::Elements(total));
    let options = DetectOptions::default();
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a thread pool");
    group.bench_function("detect_1_thread", |b| {
        b.iter(|| one_thread.install(|| black_box(detect(&capture, &options).expect("detection").events.len())))
    });
    group.bench_function("detect_all_threads", |b| {
        b.iter(|| black_box(detect(&capture, &options).expect("detection").events.len()))
    });
    group.bench_function("plain_stats_pass_1_thread", |b| {
        b.iter(|| {
            one_thread.install(|| {
                capture
                    .channels
                    .iter()
                    .map(|ch| stats(ch.analog_values().expect("analog")).map_or(0.0, |s| s.rms))
                    .sum::<f64>()
            })
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
