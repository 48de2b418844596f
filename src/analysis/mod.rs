//! Analysis engine: statistics, decimation for plotting and export.
//!
//! Plain library code: no egui, tested on signals whose answer is known in closed form.

pub mod decimate;
pub mod lod;
pub mod stats;
