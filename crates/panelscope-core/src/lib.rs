//! The panelscope domain: captures (model, CSV, Parquet, COMTRADE), analysis (statistics,
//! decimation, level of detail, measurements, events), panels (projects, validation,
//! install configurations) and the generator of realistic captures.
//!
//! A plain library: it never depends on a GUI, an async runtime or an HTTP crate, so the
//! app, the CLI, the server and the Python package all build on it.

pub mod analysis;
pub mod batch;
pub mod capture;
pub mod format;
pub mod generate;
pub mod info;
mod memory;
pub mod panel;
