//! The panel project: the panel and its service, the breakers in its spaces with their
//! circuits, the sensor strips laid over them, the mains and voltage references, and which
//! sensor measures which circuit. Saved as RON with a schema version.

use serde::{Deserialize, Serialize};

/// Version of the project file format; bumped on incompatible changes.
pub const PROJECT_SCHEMA_VERSION: u32 = 1;

/// The most spaces (or DIN modules) a panel may have: the largest boards made have 84
/// spaces (North American) or about 96 modules (four-row DIN); 200 leaves room, and keeps
/// every rule and drawing that walks the spaces small.
pub const MAX_SPACES: u32 = 200;

/// The electrical service feeding the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    /// 120/240 V split phase (North America), legs A and B.
    #[serde(rename = "split-phase-120-240")]
    SplitPhase120_240,
    /// 208Y/120 V three phase.
    #[serde(rename = "208y-120")]
    Wye208_120,
    /// 480Y/277 V three phase.
    #[serde(rename = "480y-277")]
    Wye480_277,
    /// 120/240 V four-wire delta: B is the high leg (208 V to neutral).
    #[serde(rename = "high-leg-delta-120-240")]
    HighLegDelta120_240,
    /// 230 V single phase (IEC board on a DIN rail).
    #[serde(rename = "single-phase-230")]
    SinglePhase230,
    /// 400/230 V three phase (IEC board on a DIN rail).
    #[serde(rename = "three-phase-400-230")]
    ThreePhase400_230,
}

impl Service {
    pub const ALL: [Service; 6] = [
        Self::SplitPhase120_240,
        Self::Wye208_120,
        Self::Wye480_277,
        Self::HighLegDelta120_240,
        Self::SinglePhase230,
        Self::ThreePhase400_230,
    ];

    /// The name used on the command line and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SplitPhase120_240 => "split-phase-120-240",
            Self::Wye208_120 => "208y-120",
            Self::Wye480_277 => "480y-277",
            Self::HighLegDelta120_240 => "high-leg-delta-120-240",
            Self::SinglePhase230 => "single-phase-230",
            Self::ThreePhase400_230 => "three-phase-400-230",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The phases (legs) the bus carries.
    pub fn phases(self) -> &'static [Phase] {
        match self {
            Self::SplitPhase120_240 => &[Phase::A, Phase::B],
            Self::SinglePhase230 => &[Phase::A],
            _ => &[Phase::A, Phase::B, Phase::C],
        }
    }

    /// Line-to-neutral voltage of `phase`.
    pub fn phase_voltage(self, phase: Phase) -> f64 {
        match self {
            Self::SplitPhase120_240 => 120.0,
            Self::Wye208_120 => 120.0,
            Self::Wye480_277 => 277.0,
            Self::HighLegDelta120_240 if phase == Phase::B => 208.0,
            Self::HighLegDelta120_240 => 120.0,
            Self::SinglePhase230 | Self::ThreePhase400_230 => 230.0,
        }
    }

    /// Line-to-line voltage.
    pub fn line_voltage(self) -> f64 {
        match self {
            Self::SplitPhase120_240 | Self::HighLegDelta120_240 => 240.0,
            Self::Wye208_120 => 208.0,
            Self::Wye480_277 => 480.0,
            Self::SinglePhase230 => 230.0,
            Self::ThreePhase400_230 => 400.0,
        }
    }

    /// Angle of `phase`'s line-to-neutral voltage, in degrees (A at 0, ABC sequence; split
    /// phase B at 180; the high leg of a four-wire delta at -90 with A and C opposite).
    pub fn phase_angle_deg(self, phase: Phase) -> f64 {
        match (self, phase) {
            (_, Phase::A) => 0.0,
            (Self::SplitPhase120_240, _) => 180.0,
            (Self::HighLegDelta120_240, Phase::B) => -90.0,
            (Self::HighLegDelta120_240, Phase::C) => 180.0,
            (_, Phase::B) => -120.0,
            (_, Phase::C) => 120.0,
        }
    }

    /// Nominal line frequency: 60 Hz for the North American services, 50 Hz for IEC.
    pub fn frequency_hz(self) -> f64 {
        match self.layout() {
            Layout::NorthAmerican => 60.0,
            Layout::DinRail => 50.0,
        }
    }

    /// The phase a space (or DIN module) is on: North American rows alternate A/B (split
    /// phase) or cycle A/B/C; DIN-rail modules cycle L1/L2/L3 on a three-phase comb.
    pub fn phase_of_space(self, space: u32) -> Phase {
        let phases = self.phases();
        let index = match self.layout() {
            Layout::NorthAmerican => (space.max(1) - 1) / 2,
            Layout::DinRail => space.max(1) - 1,
        };
        phases[index as usize % phases.len()]
    }

    /// IEC boards are numbered by DIN-rail module, North American ones by space.
    pub fn layout(self) -> Layout {
        match self {
            Self::SinglePhase230 | Self::ThreePhase400_230 => Layout::DinRail,
            _ => Layout::NorthAmerican,
        }
    }
}

/// How spaces are numbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Two columns, odd spaces left and even right, top to bottom; a row's two spaces
    /// share a phase, rows alternate A/B (split phase) or cycle A/B/C.
    NorthAmerican,
    /// One row of modules numbered left to right; a three-phase comb busbar feeds them
    /// L1, L2, L3 in turn.
    DinRail,
}

/// A phase (leg) of the bus; IEC boards call them L1, L2, L3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Phase {
    A,
    B,
    C,
}

impl Phase {
    pub fn name(self, layout: Layout) -> &'static str {
        match (layout, self) {
            (Layout::DinRail, Phase::A) => "L1",
            (Layout::DinRail, Phase::B) => "L2",
            (Layout::DinRail, Phase::C) => "L3",
            (_, Phase::A) => "A",
            (_, Phase::B) => "B",
            (_, Phase::C) => "C",
        }
    }
}

/// Which end of the panel the supply enters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedEnd {
    #[default]
    Top,
    Bottom,
}

/// The main disconnect.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Main {
    Breaker { rating_a: f64 },
    Lugs { rating_a: f64 },
}

/// The panel itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Panel {
    pub name: String,
    pub service: Service,
    /// Spaces (North American) or DIN-rail modules.
    pub spaces: u32,
    pub main: Main,
    #[serde(default)]
    pub feed: FeedEnd,
    #[serde(default)]
    pub fed_from: String,
    #[serde(default)]
    pub notes: String,
}

/// What occupies a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BreakerKind {
    /// A breaker of 1 to 3 poles feeding one circuit.
    Breaker,
    /// Two single-pole breakers in one space, two circuits.
    Tandem,
    /// A breaker with nothing connected.
    Spare,
    /// A blank filler: no breaker.
    Space,
}

impl BreakerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Breaker => "breaker",
            Self::Tandem => "tandem",
            Self::Spare => "spare",
            Self::Space => "space",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Breaker, Self::Tandem, Self::Spare, Self::Space].into_iter().find(|k| k.as_str() == name)
    }
}

/// Load or generation (solar, battery backfeed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    #[default]
    Load,
    Generation,
}

/// A sensor position on a strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SensorRef {
    /// Index of the strip in the project.
    pub strip: usize,
    /// Position on the strip, from 0.
    pub position: usize,
}

/// A circuit fed by a breaker (a tandem feeds two).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Circuit {
    pub label: String,
    #[serde(default)]
    pub load_type: String,
    #[serde(default)]
    pub direction: Direction,
    /// The sensors that measure it (one per sensed pole).
    #[serde(default)]
    pub sensors: Vec<SensorRef>,
    /// +1, or -1 to flip a sensor that reads backwards.
    #[serde(default = "one")]
    pub sign: f64,
    /// Scales the sensed current, e.g. 2 for one sensor on a balanced two-pole load.
    #[serde(default = "one")]
    pub multiplier: f64,
    #[serde(default)]
    pub notes: String,
}

fn one() -> f64 {
    1.0
}

impl Circuit {
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            load_type: String::new(),
            direction: Direction::Load,
            sensors: Vec::new(),
            sign: 1.0,
            multiplier: 1.0,
            notes: String::new(),
        }
    }
}

/// A breaker (or filler) in the panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breaker {
    /// The first space it occupies (from 1).
    pub space: u32,
    /// 1 to 3; its poles sit on `space`, `space + 2`, `space + 4` (North American, one
    /// column) or on consecutive modules (DIN rail).
    pub poles: u8,
    pub kind: BreakerKind,
    /// Trip rating; 0 for a blank space.
    pub rating_a: f64,
    /// One circuit (breaker), two (tandem), none (spare, space).
    #[serde(default)]
    pub circuits: Vec<Circuit>,
}

/// Which way positions count along a strip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StripDirection {
    /// Towards higher space numbers.
    #[default]
    Down,
    /// Towards lower space numbers.
    Up,
}

/// One sensor of a strip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// The capture channel it produces, e.g. `I_01`.
    pub channel: String,
    /// Largest current it measures.
    pub rating_a: f64,
    /// Mounted the other way round.
    #[serde(default)]
    pub reversed: bool,
}

/// A strip of sensors laid over a column of breakers (or along a DIN rail).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strip {
    pub name: String,
    pub model: String,
    /// Spaces from one position to the next, in space numbers (2 in a North American column:
    /// one row; 1 on a DIN rail).
    pub pitch: u32,
    /// The space the first position sits over.
    pub first_space: u32,
    #[serde(default)]
    pub direction: StripDirection,
    /// The whole strip reads backwards (mounted upside down).
    #[serde(default)]
    pub reversed: bool,
    pub positions: Vec<Position>,
}

impl Strip {
    /// The space position `k` sits over (`None` before space 1).
    pub fn space_of(&self, k: usize) -> Option<u32> {
        let step = i64::from(self.pitch) * k as i64;
        let space = match self.direction {
            StripDirection::Down => i64::from(self.first_space) + step,
            StripDirection::Up => i64::from(self.first_space) - step,
        };
        u32::try_from(space).ok().filter(|&s| s >= 1)
    }
}

/// A sensor on a main conductor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MainSensor {
    pub phase: Phase,
    pub channel: String,
    pub rating_a: f64,
    #[serde(default)]
    pub reversed: bool,
}

/// The voltage channel measuring a phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VoltageRef {
    pub phase: Phase,
    pub channel: String,
}

/// A whole panel project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub schema_version: u32,
    pub panel: Panel,
    #[serde(default)]
    pub breakers: Vec<Breaker>,
    #[serde(default)]
    pub strips: Vec<Strip>,
    #[serde(default)]
    pub mains: Vec<MainSensor>,
    #[serde(default)]
    pub voltage_refs: Vec<VoltageRef>,
    /// The monitor the sensors plug into, and their ports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<super::device::Monitor>,
}

impl Project {
    /// An empty panel of `spaces` spaces.
    pub fn new(name: impl Into<String>, service: Service, spaces: u32, main: Main) -> Self {
        Self {
            schema_version: PROJECT_SCHEMA_VERSION,
            panel: Panel {
                name: name.into(),
                service,
                spaces,
                main,
                feed: FeedEnd::Top,
                fed_from: String::new(),
                notes: String::new(),
            },
            breakers: Vec::new(),
            strips: Vec::new(),
            mains: Vec::new(),
            voltage_refs: Vec::new(),
            monitor: None,
        }
    }

    pub fn layout(&self) -> Layout {
        self.panel.service.layout()
    }

    /// The phase of a space: North American rows alternate A/B (split phase) or cycle
    /// A/B/C; DIN-rail modules cycle L1/L2/L3 on a three-phase comb.
    pub fn phase_of(&self, space: u32) -> Phase {
        self.panel.service.phase_of_space(space)
    }

    /// Space number of pole `k` of a breaker starting at `space`.
    pub fn pole_space(&self, space: u32, k: u8) -> u32 {
        // Saturating: a breaker placed at an absurd space stays past the panel, never wraps
        // onto its first spaces.
        match self.layout() {
            Layout::NorthAmerican => space.saturating_add(2 * u32::from(k)),
            Layout::DinRail => space.saturating_add(u32::from(k)),
        }
    }

    /// The spaces a breaker occupies.
    pub fn spaces_of(&self, breaker: &Breaker) -> Vec<u32> {
        (0..breaker.poles.max(1)).map(|k| self.pole_space(breaker.space, k)).collect()
    }

    /// The phases a breaker's poles are on.
    pub fn phases_of(&self, breaker: &Breaker) -> Vec<Phase> {
        self.spaces_of(breaker).into_iter().map(|s| self.phase_of(s)).collect()
    }

    /// The voltage across a breaker's circuit: phase voltage for one pole, line voltage
    /// for more (230 V for a two-pole L+N breaker on a single-phase board).
    pub fn circuit_voltage(&self, breaker: &Breaker) -> f64 {
        let service = self.panel.service;
        match breaker.poles {
            0 | 1 => service.phase_voltage(self.phase_of(breaker.space)),
            _ if service == Service::SinglePhase230 => 230.0,
            _ => service.line_voltage(),
        }
    }

    /// The breaker whose poles include `space`, with its index.
    pub fn breaker_at(&self, space: u32) -> Option<(usize, &Breaker)> {
        self.breakers.iter().enumerate().find(|(_, b)| self.spaces_of(b).contains(&space))
    }

    /// The strip position `sensor` names, if it exists.
    pub fn position(&self, sensor: SensorRef) -> Option<&Position> {
        self.strips.get(sensor.strip)?.positions.get(sensor.position)
    }

    /// Every circuit with its breaker index and the breaker.
    pub fn circuits(&self) -> impl Iterator<Item = (usize, &Breaker, &Circuit)> {
        self.breakers.iter().enumerate().flat_map(|(i, b)| b.circuits.iter().map(move |c| (i, b, c)))
    }

    /// A slot's name for messages: `space 7` or `spaces 7, 9`.
    pub fn slot(&self, breaker: &Breaker) -> String {
        let spaces = self.spaces_of(breaker);
        let word = match (self.layout(), spaces.len()) {
            (Layout::DinRail, 1) => "module",
            (Layout::DinRail, _) => "modules",
            (_, 1) => "space",
            _ => "spaces",
        };
        format!("{word} {}", spaces.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))
    }
}
