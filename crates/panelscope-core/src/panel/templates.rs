//! Templates for common panels, and the bundled sample panel that goes with the sample
//! capture.

use super::model::{
    Breaker, BreakerKind, Circuit, Direction, Main, MainSensor, Phase, Position, Project, SensorRef, Service, Strip,
    StripDirection, VoltageRef,
};

/// A panel to start a project from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Template {
    /// The name `panel new --template` and the editor use.
    pub name: &'static str,
    /// What a menu shows.
    pub description: &'static str,
    /// `None` for the bundled sample panel.
    shape: Option<(Service, u32, f64)>,
}

/// Every template: empty panels of common sizes, and the bundled sample panel (`sample`).
/// The one table behind the CLI, its help and the editor's New menu.
pub const TEMPLATES: [Template; 9] = [
    Template {
        name: "split-phase-20",
        description: "20-space 120/240 V",
        shape: Some((Service::SplitPhase120_240, 20, 100.0)),
    },
    Template {
        name: "split-phase-30",
        description: "30-space 120/240 V",
        shape: Some((Service::SplitPhase120_240, 30, 150.0)),
    },
    Template {
        name: "split-phase-42",
        description: "42-space 120/240 V",
        shape: Some((Service::SplitPhase120_240, 42, 200.0)),
    },
    Template { name: "208y-42", description: "42-space 208Y/120 V", shape: Some((Service::Wye208_120, 42, 225.0)) },
    Template { name: "480y-42", description: "42-space 480Y/277 V", shape: Some((Service::Wye480_277, 42, 225.0)) },
    Template {
        name: "high-leg-delta-30",
        description: "30-space 120/240 V high-leg delta",
        shape: Some((Service::HighLegDelta120_240, 30, 200.0)),
    },
    Template { name: "din-12", description: "12-module 230 V board", shape: Some((Service::SinglePhase230, 12, 63.0)) },
    Template {
        name: "din-24",
        description: "24-module 400/230 V board",
        shape: Some((Service::ThreePhase400_230, 24, 63.0)),
    },
    Template { name: "sample", description: "the sample panel", shape: None },
];

impl Template {
    /// A new project from this template.
    pub fn project(&self) -> Project {
        match self.shape {
            None => sample_panel(),
            Some((service, spaces, main)) => Project::new(
                format!("{spaces}-space {}", service.as_str()),
                service,
                spaces,
                Main::Breaker { rating_a: main },
            ),
        }
    }
}

/// The project of the template called `name` (see [`TEMPLATES`]).
pub fn template(name: &str) -> Option<Project> {
    TEMPLATES.iter().find(|t| t.name == name).map(Template::project)
}

/// The template names, comma separated, for messages and `--help`.
pub fn template_names() -> String {
    TEMPLATES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
}

fn breaker(space: u32, poles: u8, rating_a: f64, label: &str, load_type: &str, sensors: &[(usize, usize)]) -> Breaker {
    let mut circuit = Circuit::new(label);
    circuit.load_type = load_type.into();
    circuit.sensors = sensors.iter().map(|&(strip, position)| SensorRef { strip, position }).collect();
    Breaker { space, poles, kind: BreakerKind::Breaker, rating_a, circuits: vec![circuit] }
}

fn strip(name: &str, first_space: u32, channels: [&str; 4]) -> Strip {
    Strip {
        name: name.into(),
        model: "NC-4 (4 × 50 A)".into(),
        pitch: 2,
        first_space,
        direction: StripDirection::Down,
        reversed: false,
        positions: channels
            .iter()
            .map(|c| Position { channel: (*c).into(), rating_a: 50.0, reversed: false })
            .collect(),
    }
}

/// The panel the bundled sample capture (`sample-data/split-phase-10s.parquet`) was
/// recorded on: a 20-space 120/240 V panel with a 200 A main. Sensor `I_0n` sits over space
/// `n`: strip S1 over the left column (spaces 1, 3, 5, 7), S2 over the right (2, 4, 6, 8);
/// mains sensors `I_MAIN_A`/`I_MAIN_B`, voltages `V_A`/`V_B`. The loads are the
/// generator's (`src/generate/loads.rs`).
pub fn sample_panel() -> Project {
    let mut p =
        Project::new("Sample house, main panel", Service::SplitPhase120_240, 20, Main::Breaker { rating_a: 200.0 });
    p.panel.fed_from = "utility meter, 200 A service".into();
    let (left, right) = (0, 1);
    p.breakers = vec![
        breaker(1, 2, 30.0, "Water heater", "water heater (240 V)", &[(left, 0), (left, 1)]),
        breaker(2, 1, 20.0, "Space heater", "resistive heater", &[(right, 0)]),
        breaker(4, 1, 15.0, "Furnace blower", "motor", &[(right, 1)]),
        breaker(5, 1, 15.0, "Lighting", "LED lighting", &[(left, 2)]),
        breaker(6, 1, 20.0, "Receptacles", "receptacles (electronics, standby)", &[(right, 2)]),
        breaker(7, 1, 15.0, "Refrigerator", "compressor", &[(left, 3)]),
        breaker(8, 1, 20.0, "Kitchen and network", "electronics", &[(right, 3)]),
        Breaker { space: 9, poles: 1, kind: BreakerKind::Spare, rating_a: 15.0, circuits: vec![] },
        Breaker { space: 10, poles: 1, kind: BreakerKind::Space, rating_a: 0.0, circuits: vec![] },
    ];
    let mut solar = breaker(13, 2, 40.0, "Solar inverter", "PV inverter backfeed", &[]);
    solar.circuits[0].direction = Direction::Generation;
    solar.circuits[0].notes = "not sensed yet: needs a strip over spaces 13-15".into();
    p.breakers.push(solar);
    p.strips = vec![strip("S1", 1, ["I_01", "I_03", "I_05", "I_07"]), strip("S2", 2, ["I_02", "I_04", "I_06", "I_08"])];
    p.mains = vec![
        MainSensor { phase: Phase::A, channel: "I_MAIN_A".into(), rating_a: 200.0, reversed: false },
        MainSensor { phase: Phase::B, channel: "I_MAIN_B".into(), rating_a: 200.0, reversed: false },
    ];
    p.voltage_refs = vec![
        VoltageRef { phase: Phase::A, channel: "V_A".into() },
        VoltageRef { phase: Phase::B, channel: "V_B".into() },
    ];
    p
}
