//! Templates for common panels, and the bundled sample panel that goes with the sample
//! capture.

use super::model::{
    Breaker, BreakerKind, Circuit, Direction, Main, MainSensor, Phase, Position, Project, SensorRef, Service, Strip,
    StripDirection, VoltageRef,
};

/// An empty panel: `split-phase-20`, `split-phase-30`, `split-phase-42`, `208y-42`,
/// `480y-42`, `high-leg-delta-30`, `din-12` (230 V single phase) or `din-24` (400/230 V
/// three phase).
pub fn template(name: &str) -> Option<Project> {
    let (service, spaces, main) = match name {
        "split-phase-20" => (Service::SplitPhase120_240, 20, 100.0),
        "split-phase-30" => (Service::SplitPhase120_240, 30, 150.0),
        "split-phase-42" => (Service::SplitPhase120_240, 42, 200.0),
        "208y-42" => (Service::Wye208_120, 42, 225.0),
        "480y-42" => (Service::Wye480_277, 42, 225.0),
        "high-leg-delta-30" => (Service::HighLegDelta120_240, 30, 200.0),
        "din-12" => (Service::SinglePhase230, 12, 63.0),
        "din-24" => (Service::ThreePhase400_230, 24, 63.0),
        _ => return None,
    };
    Some(Project::new(
        format!("{spaces}-space {}", service.as_str()),
        service,
        spaces,
        Main::Breaker { rating_a: main },
    ))
}

/// Names of the templates, for menus and `--help`.
pub const TEMPLATES: [&str; 8] = [
    "split-phase-20",
    "split-phase-30",
    "split-phase-42",
    "208y-42",
    "480y-42",
    "high-leg-delta-30",
    "din-12",
    "din-24",
];

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
