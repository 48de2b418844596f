//! Scoring detected events against known ones: precision, recall and F1 per source and
//! kind, and the table the event harnesses print.

use std::collections::BTreeMap;
use std::fmt::Write;

/// Counts for one source and kind.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Known events.
    pub known: usize,
    /// Known events that a detection matched.
    pub found: usize,
    /// Detections matching no known event and explained by none.
    pub unlabelled: usize,
    /// Detections that accompany a known event (another phase, a current following its
    /// voltage) without being the one labelled: neither right nor wrong.
    pub explained: usize,
}

impl Tally {
    pub fn precision(&self) -> f64 {
        let detected = self.found + self.unlabelled;
        if detected == 0 { 1.0 } else { self.found as f64 / detected as f64 }
    }
    pub fn recall(&self) -> f64 {
        if self.known == 0 { 1.0 } else { self.found as f64 / self.known as f64 }
    }
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }
    pub fn add(&mut self, o: Tally) {
        self.known += o.known;
        self.found += o.found;
        self.unlabelled += o.unlabelled;
        self.explained += o.explained;
    }
}

/// Tallies by source, then kind, with the channel-minutes each source's records cover.
#[derive(Debug, Default)]
pub struct Board {
    pub tallies: BTreeMap<(String, String), Tally>,
    pub channel_minutes: BTreeMap<String, f64>,
    /// Lines naming every miss and every unlabelled detection.
    pub notes: Vec<String>,
}

impl Board {
    pub fn tally(&mut self, source: &str, kind: &str) -> &mut Tally {
        self.tallies.entry((source.to_string(), kind.to_string())).or_default()
    }

    pub fn total(&self) -> Tally {
        let mut t = Tally::default();
        for v in self.tallies.values() {
            t.add(*v);
        }
        t
    }

    pub fn source_total(&self, source: &str) -> Tally {
        let mut t = Tally::default();
        for ((s, _), v) in &self.tallies {
            if s == source {
                t.add(*v);
            }
        }
        t
    }

    /// The table: one row per source and kind, a row per source, and the total.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| source | kind | known | found | unlabelled | explained | precision | recall | F1 | unlabelled per channel-minute |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
        let row = |out: &mut String, source: &str, kind: &str, t: &Tally, per_min: Option<f64>| {
            let _ = writeln!(
                out,
                "| {source} | {kind} | {} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {} |",
                t.known,
                t.found,
                t.unlabelled,
                t.explained,
                t.precision(),
                t.recall(),
                t.f1(),
                per_min.map_or(String::new(), |m| format!("{m:.2}"))
            );
        };
        let sources: Vec<String> = {
            let mut s: Vec<String> = self.tallies.keys().map(|(s, _)| s.clone()).collect();
            s.dedup();
            s
        };
        for source in &sources {
            for ((s, kind), t) in &self.tallies {
                if s == source {
                    row(&mut out, source, kind, t, None);
                }
            }
            let t = self.source_total(source);
            let minutes = self.channel_minutes.get(source).copied().unwrap_or(0.0);
            let per_min = (minutes > 0.0).then(|| t.unlabelled as f64 / minutes);
            row(&mut out, source, "**all**", &t, per_min);
        }
        let minutes: f64 = self.channel_minutes.values().sum();
        let t = self.total();
        row(&mut out, "**all**", "**all**", &t, (minutes > 0.0).then(|| t.unlabelled as f64 / minutes));
        out
    }
}
