//! The HTTP API's windowed read end to end on loopback: the real server and the real
//! client, 8 channels at 2000 points on a capture of 10^8 samples per channel, at zoom
//! levels from the whole capture down to fewer samples than points.
//!
//! The capture (a COMTRADE FLOAT32 pair, 3.2 GB at the default size) is written once into
//! `target/bench-data/` and reused. The first request reads it and builds the pyramids;
//! the benchmark times the requests after that. `PANELSCOPE_BENCH_SAMPLES` sets samples per
//! channel.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use panelscope::api::WindowQuery;
use panelscope::api::client::Client;
use panelscope::api::server::{ServerConfig, spawn};
use panelscope::capture::{Capture, Channel, Format};

const CHANNELS: usize = 8;
const RATE_HZ: f64 = 10_000.0;

fn samples_per_channel() -> usize {
    std::env::var("PANELSCOPE_BENCH_SAMPLES").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000_000)
}

/// The served directory, with the capture written on first use.
fn bench_dir(n: usize) -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| PathBuf::from("target"));
    let dir = target.join("bench-data").join(format!("api-{n}"));
    let cfg = dir.join("capture.cfg");
    if !cfg.exists() || !dir.join("capture.dat").exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let mut capture = Capture::new("bench", Format::Memory, RATE_HZ);
        for c in 0..CHANNELS {
            let (name, unit, amplitude) =
                if c < 3 { (format!("V_{c}"), "V", 170.0) } else { (format!("I_{c}"), "A", 20.0) };
            capture.channels.push(Channel::analog(
                name,
                unit,
                None,
                panelscope::generate::bench_wave(n, c as u64, amplitude),
            ));
        }
        panelscope::capture::write(&capture, &cfg).unwrap();
    }
    dir
}

fn window(c: &mut Criterion) {
    let n = samples_per_channel();
    let dir = bench_dir(n);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (client, id, _server) = runtime.block_on(async {
        let (addr, server) = spawn("127.0.0.1:0".parse().unwrap(), ServerConfig::new(&dir)).await.unwrap();
        let client = Client::new(&format!("http://{addr}"), None).unwrap();
        let id = client.captures().await.unwrap().remove(0).id;
        // Read the capture and build its pyramids before timing.
        let started = std::time::Instant::now();
        client.window(&id, &WindowQuery::default()).await.unwrap();
        eprintln!("first window (read + pyramids): {:.2} s", started.elapsed().as_secs_f64());
        (client, id, server)
    });
    let duration_s = n as f64 / RATE_HZ;
    let mut group = c.benchmark_group(format!("api window 8ch x 2000 points, {n} samples"));
    for (label, span) in
        [("full", n), ("1e6 samples", 1_000_000.min(n)), ("1e4 samples", 10_000), ("2000 samples (raw)", 2000)]
    {
        let from = duration_s / 3.0;
        let query = WindowQuery {
            from_s: Some(if span == n { 0.0 } else { from }),
            to_s: Some(if span == n { duration_s } else { from + span as f64 / RATE_HZ }),
            channels: Vec::new(),
            max_points: Some(2000),
        };
        group.bench_with_input(BenchmarkId::from_parameter(label), &query, |b, q| {
            b.iter(|| runtime.block_on(async { black_box(client.window(&id, q).await.unwrap()) }));
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = window
}
criterion_main!(benches);
