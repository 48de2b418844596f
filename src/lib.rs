//! panelscope: explore high-rate sensor captures and lay out breaker panels.
//!
//! The libraries (`capture`, `analysis`) never import egui; the GUI in `app` reads them.

pub mod analysis;
pub mod api;
pub mod app;
pub mod capture;
pub mod cli;
pub mod generate;
pub mod panel;
