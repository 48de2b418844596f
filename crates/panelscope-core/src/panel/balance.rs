//! An install configuration applied to a capture: the balance of each phase (mains minus
//! the sum of that phase's circuits: what no sensor sees), and measurements paired by the
//! configuration.

use std::ops::Range;

use crate::analysis::measure::{MeasureReport, measure_report_paired};
use crate::capture::{Capture, WindowError};
use crate::panel::InstallConfig;

/// The balance of one phase over a window.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Balance {
    /// `balance A`.
    pub name: String,
    /// RMS of mains minus the circuits on the phase.
    pub rms: f64,
    /// RMS of the mains sensor, for scale.
    pub mains_rms: f64,
    /// Circuit channels of the phase found in the capture.
    pub circuits: usize,
}

/// Per phase with a mains sensor in the capture: the RMS over `range` of mains minus the
/// signed sum of the circuit channels on that phase.
pub fn balances(capture: &Capture, config: &InstallConfig, range: Range<usize>) -> Vec<Balance> {
    let values = |name: &str| capture.channel(name).and_then(|c| c.analog_values()).map(|v| &v[range.clone()]);
    let mut out = Vec::new();
    for main in &config.mains {
        let Some(mains) = values(&main.channel) else { continue };
        let parts: Vec<(&[f32], f64)> = config
            .circuits
            .iter()
            .flat_map(|c| &c.channels)
            .filter(|ch| ch.phase == main.phase)
            .filter_map(|ch| Some((values(&ch.channel)?, ch.sign)))
            .collect();
        let (mut sum_sq, mut mains_sq, mut n) = (0.0f64, 0.0f64, 0usize);
        for (k, &m) in mains.iter().enumerate() {
            let m = main.sign * f64::from(m);
            let circuits: f64 = parts.iter().map(|(v, sign)| sign * f64::from(v[k])).sum();
            let b = m - circuits;
            if b.is_finite() {
                sum_sq += b * b;
                mains_sq += m * m;
                n += 1;
            }
        }
        if n > 0 {
            out.push(Balance {
                name: format!("balance {:?}", main.phase),
                rms: (sum_sq / n as f64).sqrt(),
                mains_rms: (mains_sq / n as f64).sqrt(),
                circuits: parts.len(),
            });
        }
    }
    out
}

impl InstallConfig {
    /// Measures `capture` over the window (the whole capture by default) with each current
    /// paired to its phase's voltage by this configuration, and each phase's balance.
    pub fn measure(
        &self,
        capture: &Capture,
        from_s: Option<f64>,
        to_s: Option<f64>,
    ) -> Result<MeasureReport, WindowError> {
        let mut report = measure_report_paired(capture, from_s, to_s, &self.current_pairs())?;
        report.balances = balances(capture, self, capture.window(from_s, to_s)?);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_panel_balances_on_the_sample_capture() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data/split-phase-10s.parquet");
        let capture = crate::capture::read(&path).unwrap();
        let config = crate::panel::sample_panel().install_config().unwrap();
        let b = balances(&capture, &config, 0..capture.sample_count());
        assert_eq!(b.len(), 2);
        for phase in &b {
            // The generator's mains are the sum of the branches plus sensor noise.
            assert_eq!(phase.circuits, 4, "{phase:?}");
            assert!(phase.mains_rms > 5.0 && phase.rms < 0.05 * phase.mains_rms, "{phase:?}");
        }
        let p = config.current_pairs();
        assert!(p.contains(&("I_03".to_string(), "V_B".to_string())));
        assert!(p.contains(&("I_MAIN_A".to_string(), "V_A".to_string())));
        let report = config.measure(&capture, Some(1.0), Some(2.0)).unwrap();
        assert_eq!(report.balances, balances(&capture, &config, capture.window(Some(1.0), Some(2.0)).unwrap()));
    }
}
