//! The explorer's frame: CPU time to lay out, query and tessellate one frame of the window
//! with 8 channels of 10^8 samples and plots 2000 pixels wide, at full view and zoomed in.
//! The frame is the app's own `ui` run on an egui context, as eframe runs it, without the
//! GPU upload.
//!
//! Then the lanes: 64 analog channels of 10^7 samples, each in its own lane, all on screen
//! with 2000 px of time axis, alone and with 32 digital lanes (status bits) below them.
//!
//! `PANELSCOPE_BENCH_SAMPLES` sets samples per channel (default 10^8: 3.2 GB in all);
//! `PANELSCOPE_BENCH_LANE_SAMPLES` those of the lanes' channels (default 10^7: 2.6 GB).
//! With `PANELSCOPE_BENCH_OPEN_GB=1` it also writes a Parquet capture of that many GB to a
//! temporary folder and reports the time from opening it to the first full-view frame.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use eframe::egui;
use panelscope::app::{App, ExplorerMessage, Message, OpenCapture};
use panelscope::capture::{Capture, Channel, Format};

const RATE_HZ: f64 = 10_000.0;
/// Left and right panels plus 2000 px of plot.
const WINDOW: egui::Vec2 = egui::vec2(2690.0, 1000.0);

fn samples_per_channel() -> usize {
    std::env::var("PANELSCOPE_BENCH_SAMPLES").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000_000)
}

/// Eight channels (two voltages, six currents) of a 60 Hz wave plus noise.
fn synthetic(n: usize) -> Capture {
    let mut capture = Capture::new("bench", Format::Memory, RATE_HZ);
    for ch in 0..8u64 {
        let amplitude = if ch < 2 { 170.0 } else { 5.0 + ch as f32 };
        let (name, unit) = if ch < 2 { (format!("V_{ch}"), "V") } else { (format!("I_{ch}"), "A") };
        capture.channels.push(Channel::analog(name, unit, None, panelscope::generate::bench_wave(n, ch, amplitude)));
    }
    capture
}

fn input() -> egui::RawInput {
    egui::RawInput { screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, WINDOW)), ..Default::default() }
}

/// One frame as eframe runs it: the app's UI, then tessellation.
fn frame(ctx: &egui::Context, app: &mut App) -> usize {
    let output = ctx.run_ui(input(), |ui| app.ui(ui));
    ctx.tessellate(output.shapes, output.pixels_per_point).len()
}

fn bench(c: &mut Criterion) {
    let n = samples_per_channel();
    let ctx = egui::Context::default();
    let mut app = App::new(ctx.clone());
    app.add_capture(OpenCapture::build(0, PathBuf::from("bench"), synthetic(n)), false);
    for _ in 0..3 {
        frame(&ctx, &mut app);
    }
    let width = app.plots_rect().map_or(0.0, |r| r.width());
    println!("plots {width:.0} px wide, {} channels of {n} samples", app.captures()[0].capture.channels.len());

    let duration = n as f64 / RATE_HZ;
    let mut group = c.benchmark_group("explorer_frame_8ch");
    group.sample_size(30);
    // Full view, a million samples, and deep zoom (2000 samples on 2000 px).
    for (label, from_s, to_s) in [
        ("full", 0.0, duration),
        ("1e6_samples", duration / 3.0, duration / 3.0 + 1e6 / RATE_HZ),
        ("deep_zoom_2000_samples", duration / 2.0, duration / 2.0 + 2000.0 / RATE_HZ),
    ] {
        app.apply(ExplorerMessage::ZoomTo { from_s, to_s: to_s.min(duration) }.into());
        for _ in 0..3 {
            frame(&ctx, &mut app);
        }
        let view = app.view_s();
        group.bench_function(BenchmarkId::from_parameter(label), |b| b.iter(|| black_box(frame(&ctx, &mut app))));
        assert_eq!(app.view_s(), view, "the view stays put while measured");
        // Wall time above; the CPU time of all threads (the queries run on two) here.
        if let Some(before) = process_cpu_s() {
            const FRAMES: usize = 300;
            let wall = Instant::now();
            for _ in 0..FRAMES {
                black_box(frame(&ctx, &mut app));
            }
            if let Some(after) = process_cpu_s() {
                println!(
                    "{label}: {:.2} ms CPU (all threads) and {:.2} ms wall per frame over {FRAMES} frames",
                    (after - before) * 1e3 / FRAMES as f64,
                    wall.elapsed().as_secs_f64() * 1e3 / FRAMES as f64
                );
            }
        }
    }
    // The rest of the window alone: every channel hidden.
    app.apply(ExplorerMessage::ShowAll(false).into());
    frame(&ctx, &mut app);
    group.bench_function(BenchmarkId::from_parameter("no_traces"), |b| b.iter(|| black_box(frame(&ctx, &mut app))));
    group.finish();
    drop(app);

    lanes(c);
    if let Some(gb) = std::env::var("PANELSCOPE_BENCH_OPEN_GB").ok().and_then(|s| s.parse::<f64>().ok()) {
        time_to_first_plot(gb);
    }
}

/// The lanes' window: 2000 px of time axis beside the panels and lane headers, tall enough
/// for 64 analog lanes of the least automatic height and 32 digital ones.
const LANES_WINDOW: egui::Vec2 = egui::vec2(2890.0, 5600.0);

/// 64 lanes of 10^7 samples, then 32 digital lanes more.
fn lanes(c: &mut Criterion) {
    use panelscope::app::lanes::{Arrangement, LaneEdit};
    let n = std::env::var("PANELSCOPE_BENCH_LANE_SAMPLES").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let mut capture = Capture::new("lanes", Format::Memory, RATE_HZ);
    for ch in 0..64u64 {
        let wave = panelscope::generate::bench_wave(n, ch, 5.0 + ch as f32);
        capture.channels.push(Channel::analog(format!("I_{ch:02}"), "A", None, wave));
    }
    // Status bits that change every few thousand samples, at different rates.
    let with_bits = {
        let mut c = capture.clone();
        for b in 0..32usize {
            let period = 1000 + 337 * b;
            let bits = (0..n).map(|i| (i / period) % 2 == 1).collect();
            c.channels.push(Channel::digital(format!("bit_{b:02}"), bits));
        }
        c
    };
    let input = || egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, LANES_WINDOW)),
        ..Default::default()
    };
    let run = |ctx: &egui::Context, app: &mut App| {
        let output = ctx.run_ui(input(), |ui| app.ui(ui));
        ctx.tessellate(output.shapes, output.pixels_per_point).len()
    };
    let mut group = c.benchmark_group("explorer_lanes");
    group.sample_size(20);
    for (label, capture) in [("64_lanes", capture), ("64_lanes_32_digital", with_bits)] {
        let ctx = egui::Context::default();
        let mut app = App::new(ctx.clone());
        app.add_capture(OpenCapture::build(0, PathBuf::from(label), capture), false);
        app.apply(ExplorerMessage::Lanes(LaneEdit::Arrange(Arrangement::PerChannel)).into());
        for _ in 0..3 {
            run(&ctx, &mut app);
        }
        let axis = app.explorer().time_axis.map_or(0.0, |r| r.width());
        println!(
            "{label}: time axis {axis:.0} px, {} channels of {n} samples",
            app.captures()[0].capture.channels.len()
        );
        // A frame where nothing moved (the pointer over a lane, a cursor readout); a pan
        // by about 4 px a frame over the middle half; a zoom in or out by 2% a frame.
        let duration = app.captures()[0].capture.duration_s();
        let mut frames = 0usize;
        let mut step = |app: &mut App, motion: &str| {
            frames += 1;
            let forward = (frames / 100).is_multiple_of(2);
            match motion {
                "pan" => app.apply(ExplorerMessage::Pan(if forward { 0.002 } else { -0.002 }).into()),
                "zoom" => app.apply(ExplorerMessage::Zoom(if forward { 0.98 } else { 1.0 / 0.98 }).into()),
                _ => {}
            }
        };
        for motion in ["still", "pan", "zoom"] {
            if motion != "still" {
                app.apply(ExplorerMessage::ZoomTo { from_s: 0.25 * duration, to_s: 0.75 * duration }.into());
                run(&ctx, &mut app);
            }
            let name = format!("{label}/{motion}");
            group.bench_function(BenchmarkId::from_parameter(&name), |b| {
                b.iter(|| {
                    step(&mut app, motion);
                    black_box(run(&ctx, &mut app))
                })
            });
            if let Some(before) = process_cpu_s() {
                const FRAMES: usize = 100;
                let wall = Instant::now();
                for _ in 0..FRAMES {
                    step(&mut app, motion);
                    black_box(run(&ctx, &mut app));
                }
                if let Some(after) = process_cpu_s() {
                    println!(
                        "{name}: {:.2} ms CPU (all threads) and {:.2} ms wall per frame over {FRAMES} frames",
                        (after - before) * 1e3 / FRAMES as f64,
                        wall.elapsed().as_secs_f64() * 1e3 / FRAMES as f64
                    );
                }
            }
        }
    }
    group.finish();
}

/// CPU time of this process so far (user + system, all threads), from `/proc/self/stat`
/// (Linux; `None` elsewhere). Ticks of 10 ms: read it over many frames.
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Writes a Parquet capture of `gb` GB (8 channels of f32) and times opening it in the app
/// until the first frame that shows every channel over the whole capture.
fn time_to_first_plot(gb: f64) {
    let n = (gb * 1e9 / 8.0 / 4.0) as usize;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("large.parquet");
    panelscope::capture::write(&synthetic(n), &path).expect("the capture is written");
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let ctx = egui::Context::default();
    let mut app = App::new(ctx.clone());
    let start = Instant::now();
    app.apply(Message::OpenFile(path.clone()));
    loop {
        frame(&ctx, &mut app);
        if app.captures().len() == 1 && app.view_s().is_some() {
            break;
        }
        assert!(app.errors().is_empty(), "{:?}", app.errors());
        assert!(start.elapsed() < Duration::from_secs(600), "timed out");
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "open to first full-view plot: {:.2} s for {:.2} GB of Parquet ({n} samples × 8 channels)",
        start.elapsed().as_secs_f64(),
        bytes as f64 / 1e9
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
