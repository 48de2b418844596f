//! Analysis engine: statistics, decimation for plotting and export, frequency,
//! measurements and event detection.
//!
//! Plain library code: no egui, tested on signals whose answer is known in closed form.

pub mod cycles;
pub mod decimate;
pub mod events;
pub mod frequency;
pub mod harmonics;
pub mod lod;
pub mod measure;
pub mod phasors;
pub mod resample;
mod simd;
pub mod stats;
pub mod units;
