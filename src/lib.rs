//! panelscope: explore high-rate sensor captures and lay out breaker panels.
//!
//! The domain (`capture`, `analysis`, `panel`, `generate`) lives in the `panelscope-core`
//! crate and is re-exported here; this crate adds the GUI (`app`), the headless commands
//! (`cli`) and the HTTP API (`api`) on top of it.

pub use panelscope_core::{analysis, batch, capture, format, generate, info, panel};

pub mod api;
pub mod app;
pub mod cli;
