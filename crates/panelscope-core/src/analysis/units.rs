//! Engineering units with SI prefixes.

/// Scale of `unit` relative to `base` (`kA` is 1000 A, `mV` 0.001 V); 1 when it is not a
/// prefixed `base` (or is `base` itself, or unknown).
pub fn unit_scale(unit: &str, base: &str) -> f64 {
    let unit = unit.trim();
    let Some(prefix) = unit.strip_suffix(base).or_else(|| unit.strip_suffix(&base.to_ascii_lowercase())) else {
        return 1.0;
    };
    match prefix {
        "k" | "K" => 1e3,
        "M" => 1e6,
        "m" => 1e-3,
        "u" | "µ" => 1e-6,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(unit_scale("kA", "A"), 1000.0);
        assert_eq!(unit_scale("A", "A"), 1.0);
        assert_eq!(unit_scale("mA", "A"), 0.001);
        assert_eq!(unit_scale("kW", "W"), 1000.0);
        assert_eq!(unit_scale("kV", "V"), 1000.0);
        assert_eq!(unit_scale("", "A"), 1.0);
        assert_eq!(unit_scale("degC", "A"), 1.0);
    }
}
