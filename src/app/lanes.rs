//! How the explorer stacks a capture's channels: lanes (each with its own value axis and a
//! header naming its channels), in groups that fold. The layout is plain data kept on the
//! view, named by channel so that it can be remembered per capture file and applied again.
//!
//! The default fits the capture: a few analog channels share one lane per kind (as a scope
//! shows them); many get their own lanes, grouped by three-phase set (`IA_G1`, `IB_G1`,
//! `IC_G1`), with each set's lanes together. Digital channels get compact lanes in their
//! own group, the ones that change first.

use serde::{Deserialize, Serialize};

use crate::capture::{Capture, ChannelKind, Samples};

/// Up to this many visible analog channels share one lane per kind by default.
pub const FEW_CHANNELS: usize = 8;
/// An analog lane's height when it shares the room left with the other such lanes.
pub const AUTO: f32 = 0.0;
/// The least an automatic lane gets, points.
pub const AUTO_MIN: f32 = 64.0;
/// Height of a digital lane, points.
pub const DIGITAL_HEIGHT: f32 = 18.0;
/// The smallest and largest a lane can be resized to, points.
pub const MIN_HEIGHT: f32 = 40.0;
pub const MAX_HEIGHT: f32 = 800.0;

/// One lane: its channels (by name) drawn over each other on one value axis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lane {
    pub channels: Vec<String>,
    pub height: f32,
}

/// Lanes that fold together under one header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaneGroup {
    pub name: String,
    pub collapsed: bool,
    pub lanes: Vec<Lane>,
}

/// The lanes of one capture.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LaneLayout {
    pub groups: Vec<LaneGroup>,
}

/// How the lanes are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arrangement {
    /// One lane per kind (voltage, current, ...), its channels over each other.
    PerKind,
    /// Grouped by kind; each three-phase set in one lane, other channels in their own.
    PerSet,
    /// Grouped by kind; every channel in its own lane, sets together.
    PerChannel,
    /// One group per three-phase set, a lane per phase (other channels by kind).
    SetGroups,
    /// By the install configuration applied: voltages, mains, then a group per circuit
    /// with a lane per leg (other channels by kind).
    ByCircuit,
}

impl Arrangement {
    pub const ALL: [Arrangement; 5] = [Self::PerKind, Self::PerSet, Self::PerChannel, Self::SetGroups, Self::ByCircuit];

    pub fn label(self) -> &'static str {
        match self {
            Self::PerKind => "One lane per kind",
            Self::PerSet => "One lane per phase set",
            Self::PerChannel => "One lane per channel",
            Self::SetGroups => "A group per phase set",
            Self::ByCircuit => "A group per circuit (install configuration)",
        }
    }
}

/// A change to the layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LaneEdit {
    /// Lay the lanes out again.
    Arrange(Arrangement),
    /// Move lane `from` (group, lane) to sit before lane `to` (group, lane); `to.1` may be
    /// one past the group's last lane.
    Move {
        from: (usize, usize),
        to: (usize, usize),
    },
    Resize {
        lane: (usize, usize),
        height: f32,
    },
    Collapse {
        group: usize,
        collapsed: bool,
    },
    /// Draw lane `from`'s channels in lane `into` (the lane `from` goes).
    Overlay {
        from: (usize, usize),
        into: (usize, usize),
    },
    /// Give each channel of this lane its own lane.
    Split {
        lane: (usize, usize),
    },
    /// Move this lane into a new group of its own, right after its group.
    NewGroup {
        lane: (usize, usize),
        name: String,
    },
    RenameGroup {
        group: usize,
        name: String,
    },
}

/// The phase a channel name marks, and the name with the phase taken out (`IA_G1` gives
/// `I·_G1`), for every place the name could mark one.
fn phase_keys(name: &str) -> Vec<(String, char)> {
    let chars: Vec<char> = name.chars().collect();
    let mut keys = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        let phase = c.to_ascii_uppercase();
        if !matches!(phase, 'A' | 'B' | 'C' | 'N' | 'R' | 'S' | 'T') {
            continue;
        }
        // A phase letter stands alone: at the end or before a separator or digit, and not
        // inside a lower-case word (`IA_G1`, `V_A`, `Va`; not the `a` of `mains`).
        let before_ok = i == 0 || !chars[i - 1].is_ascii_lowercase();
        let after_ok = chars.get(i + 1).is_none_or(|n| !n.is_ascii_alphabetic());
        if !(before_ok && after_ok) {
            continue;
        }
        let key: String = chars.iter().enumerate().map(|(k, &ch)| if k == i { '·' } else { ch }).collect();
        keys.push((key, phase));
    }
    // L1, L2, L3.
    for (i, w) in chars.windows(2).enumerate() {
        if w[0].eq_ignore_ascii_case(&'L')
            && matches!(w[1], '1' | '2' | '3')
            && chars.get(i + 2).is_none_or(|n| !n.is_ascii_digit())
        {
            let key: String =
                chars.iter().enumerate().map(|(k, &ch)| if k == i || k == i + 1 { '·' } else { ch }).collect();
            keys.push((key, w[1]));
        }
    }
    keys
}

/// Three-phase sets among `channels` (indices into the capture): each a key and its
/// members in phase order. A set has at least two members of one kind and unit, with
/// different phases; a channel joins the largest set it can.
pub fn phase_sets(capture: &Capture, channels: &[usize]) -> Vec<(String, Vec<usize>)> {
    use std::collections::BTreeMap;
    // Keyed by the name without its phase, the kind and the unit.
    type Key = (String, ChannelKind, String);
    let mut candidates: BTreeMap<Key, Vec<(char, usize)>> = BTreeMap::new();
    for &i in channels {
        let c = &capture.channels[i];
        if c.kind == ChannelKind::Digital {
            continue;
        }
        for (key, phase) in phase_keys(&c.name) {
            candidates.entry((key, c.kind, c.unit.clone())).or_default().push((phase, i));
        }
    }
    // Sets with distinct phases only, largest first; each channel in one set.
    let mut sets: Vec<(Key, Vec<(char, usize)>)> = candidates
        .into_iter()
        .filter(|(_, m)| {
            let mut phases: Vec<char> = m.iter().map(|(p, _)| *p).collect();
            phases.sort_unstable();
            phases.dedup();
            m.len() >= 2 && phases.len() == m.len()
        })
        .collect();
    sets.sort_by_key(|(_, m)| std::cmp::Reverse(m.len()));
    let mut taken = vec![false; capture.channels.len()];
    let mut out = Vec::new();
    for ((key, _, _), mut members) in sets {
        if members.iter().any(|(_, i)| taken[*i]) {
            continue;
        }
        members.sort_by_key(|&(p, i)| (phase_order(p), i));
        members.iter().for_each(|(_, i)| taken[*i] = true);
        out.push((key, members.into_iter().map(|(_, i)| i).collect::<Vec<_>>()));
    }
    // In the capture's order.
    out.sort_by_key(|(_, m)| m.iter().copied().min());
    out
}

fn phase_order(p: char) -> u8 {
    match p {
        'A' | 'R' | '1' => 0,
        'B' | 'S' | '2' => 1,
        'C' | 'T' | '3' => 2,
        _ => 3,
    }
}

/// When channel `i` (digital) first changes state, in samples; `None` if it never does.
fn first_change(capture: &Capture, i: usize) -> Option<usize> {
    let Samples::Digital(bits) = &capture.channels[i].samples else { return None };
    let first = bits.get(0)?;
    (1..bits.len()).find(|&k| bits.get(k) != Some(first))
}

impl LaneLayout {
    /// The layout that fits `capture`: see the module's description.
    pub fn fit(capture: &Capture) -> Self {
        let analog = capture.channels.iter().filter(|c| c.kind != ChannelKind::Digital).count();
        Self::arranged(capture, if analog <= FEW_CHANNELS { Arrangement::PerKind } else { Arrangement::PerSet })
    }

    /// Every channel of `capture` laid out as `arrangement` says; digital channels last,
    /// one compact lane each, the ones that change first.
    pub fn arranged(capture: &Capture, arrangement: Arrangement) -> Self {
        let name = |i: usize| capture.channels[i].name.clone();
        let lane = |members: &[usize]| Lane { channels: members.iter().map(|&i| name(i)).collect(), height: AUTO };
        let analog: Vec<usize> =
            (0..capture.channels.len()).filter(|&i| capture.channels[i].kind != ChannelKind::Digital).collect();
        let kinds = |members: &[usize]| -> Vec<(ChannelKind, Vec<usize>)> {
            ChannelKind::ALL
                .into_iter()
                .filter(|k| *k != ChannelKind::Digital)
                .map(|k| (k, members.iter().copied().filter(|&i| capture.channels[i].kind == k).collect::<Vec<_>>()))
                .filter(|(_, m)| !m.is_empty())
                .collect()
        };
        let mut groups = Vec::new();
        match arrangement {
            Arrangement::PerKind => {
                for (kind, members) in kinds(&analog) {
                    groups.push(LaneGroup { name: kind_name(kind), collapsed: false, lanes: vec![lane(&members)] });
                }
            }
            Arrangement::PerSet | Arrangement::PerChannel => {
                for (kind, members) in kinds(&analog) {
                    // Each set where its first phase was, its phases together.
                    let sets = phase_sets(capture, &members);
                    let mut units: Vec<Vec<usize>> = sets.into_iter().map(|(_, m)| m).collect();
                    let in_set: Vec<usize> = units.iter().flatten().copied().collect();
                    units.extend(members.iter().filter(|i| !in_set.contains(i)).map(|&i| vec![i]));
                    units.sort_by_key(|u| u.iter().copied().min());
                    let lanes = if arrangement == Arrangement::PerSet {
                        units.iter().map(|u| lane(u)).collect()
                    } else {
                        units.iter().flatten().map(|&i| lane(&[i])).collect()
                    };
                    groups.push(LaneGroup { name: kind_name(kind), collapsed: false, lanes });
                }
            }
            // Without the install configuration's roles, as per set.
            Arrangement::ByCircuit => return Self::arranged(capture, Arrangement::PerSet),
            Arrangement::SetGroups => {
                let sets = phase_sets(capture, &analog);
                let in_set: Vec<usize> = sets.iter().flat_map(|(_, m)| m.iter().copied()).collect();
                let loose: Vec<usize> = analog.iter().copied().filter(|i| !in_set.contains(i)).collect();
                let mut ordered: Vec<(usize, LaneGroup)> = sets
                    .into_iter()
                    .map(|(key, m)| {
                        let phases: Vec<&str> = m.iter().map(|&i| phase_of(&key, &capture.channels[i].name)).collect();
                        let lanes = m.iter().map(|&i| lane(&[i])).collect();
                        let first = m.iter().copied().min().unwrap_or(0);
                        (first, LaneGroup { name: set_name(&key, &phases), collapsed: false, lanes })
                    })
                    .collect();
                for (kind, members) in kinds(&loose) {
                    let lanes = members.iter().map(|&i| lane(&[i])).collect();
                    ordered.push((members[0], LaneGroup { name: kind_name(kind), collapsed: false, lanes }));
                }
                ordered.sort_by_key(|(first, _)| *first);
                groups.extend(ordered.into_iter().map(|(_, g)| g));
            }
        }
        let mut digital: Vec<usize> =
            (0..capture.channels.len()).filter(|&i| capture.channels[i].kind == ChannelKind::Digital).collect();
        if !digital.is_empty() {
            // The ones that change first; those that never do last, in the capture's order.
            digital.sort_by_key(|&i| (first_change(capture, i).unwrap_or(usize::MAX), i));
            let lanes = digital.iter().map(|&i| Lane { channels: vec![name(i)], height: DIGITAL_HEIGHT }).collect();
            groups.push(LaneGroup { name: "digital".into(), collapsed: false, lanes });
        }
        Self { groups }
    }

    /// Lanes by what the install configuration says each channel is: the voltages in one
    /// lane, the mains in one, then a group per circuit (in the configuration's order) with
    /// a lane per leg; channels it does not name follow, per set, and the status bits.
    pub fn by_circuit(capture: &Capture, roles: &[crate::panel::ChannelRole]) -> Self {
        use crate::panel::RoleKind;
        let present = |kind: RoleKind| -> Vec<String> {
            roles
                .iter()
                .filter(|r| r.kind == kind && capture.channel(&r.channel).is_some())
                .map(|r| r.channel.clone())
                .collect()
        };
        let mut groups = Vec::new();
        for (kind, name) in [(RoleKind::Voltage, "voltages"), (RoleKind::Mains, "mains")] {
            let channels = present(kind);
            if !channels.is_empty() {
                groups.push(LaneGroup {
                    name: name.into(),
                    collapsed: false,
                    lanes: vec![Lane { channels, height: AUTO }],
                });
            }
        }
        let mut circuits: Vec<(String, Vec<String>)> = Vec::new();
        for r in roles.iter().filter(|r| r.kind == RoleKind::Circuit && capture.channel(&r.channel).is_some()) {
            match circuits.iter_mut().find(|(label, _)| *label == r.label) {
                Some((_, legs)) => legs.push(r.channel.clone()),
                None => circuits.push((r.label.clone(), vec![r.channel.clone()])),
            }
        }
        for (label, legs) in circuits {
            let lanes = legs.into_iter().map(|c| Lane { channels: vec![c], height: AUTO }).collect();
            groups.push(LaneGroup { name: label, collapsed: false, lanes });
        }
        // The rest as per set, without the channels already placed.
        let placed: Vec<String> = groups.iter().flat_map(|g| &g.lanes).flat_map(|l| l.channels.clone()).collect();
        for mut g in Self::arranged(capture, Arrangement::PerSet).groups {
            for lane in &mut g.lanes {
                lane.channels.retain(|c| !placed.contains(c));
            }
            g.lanes.retain(|l| !l.channels.is_empty());
            if !g.lanes.is_empty() {
                groups.push(g);
            }
        }
        Self { groups }
    }

    /// Drops channels `capture` lacks, and adds lanes for those the layout lacks (a
    /// remembered layout applied to a file that changed).
    pub fn reconcile(mut self, capture: &Capture) -> Self {
        for g in &mut self.groups {
            for lane in &mut g.lanes {
                lane.channels.retain(|c| capture.channel(c).is_some());
                lane.height = if lane.height == AUTO { AUTO } else { lane.height.clamp(DIGITAL_HEIGHT, MAX_HEIGHT) };
            }
            g.lanes.retain(|l| !l.channels.is_empty());
        }
        self.groups.retain(|g| !g.lanes.is_empty());
        let missing: Vec<usize> = (0..capture.channels.len())
            .filter(|&i| {
                !self.groups.iter().flat_map(|g| &g.lanes).any(|l| l.channels.contains(&capture.channels[i].name))
            })
            .collect();
        if !missing.is_empty() {
            let lanes = missing
                .iter()
                .map(|&i| {
                    let c = &capture.channels[i];
                    let height = if c.kind == ChannelKind::Digital { DIGITAL_HEIGHT } else { AUTO };
                    Lane { channels: vec![c.name.clone()], height }
                })
                .collect();
            self.groups.push(LaneGroup { name: "other".into(), collapsed: false, lanes });
        }
        self
    }

    /// Applies an edit; false when it names a lane or group there is not.
    pub fn apply(&mut self, edit: &LaneEdit, capture: &Capture) -> bool {
        let exists = |l: &Self, (g, k): (usize, usize)| l.groups.get(g).is_some_and(|g| k < g.lanes.len());
        match *edit {
            LaneEdit::Arrange(arrangement) => *self = Self::arranged(capture, arrangement),
            LaneEdit::Move { from, to } => {
                if !exists(self, from) || self.groups.get(to.0).is_none_or(|g| to.1 > g.lanes.len()) {
                    return false;
                }
                let lane = self.groups[from.0].lanes.remove(from.1);
                // Removing it shifts the lanes after it in its own group.
                let at = if to.0 == from.0 && to.1 > from.1 { to.1 - 1 } else { to.1 };
                self.groups[to.0].lanes.insert(at, lane);
                self.groups.retain(|g| !g.lanes.is_empty());
            }
            LaneEdit::Resize { lane, height } => {
                if !exists(self, lane) || !height.is_finite() {
                    return false;
                }
                let min = if self.is_digital(lane, capture) { DIGITAL_HEIGHT } else { MIN_HEIGHT };
                self.groups[lane.0].lanes[lane.1].height = height.clamp(min, MAX_HEIGHT);
            }
            LaneEdit::Collapse { group, collapsed } => match self.groups.get_mut(group) {
                Some(g) => g.collapsed = collapsed,
                None => return false,
            },
            LaneEdit::Overlay { from, into } => {
                if !exists(self, from) || !exists(self, into) || from == into {
                    return false;
                }
                let moved = self.groups[from.0].lanes[from.1].channels.clone();
                let target = &mut self.groups[into.0].lanes[into.1];
                target.channels.extend(moved);
                self.groups[from.0].lanes.remove(from.1);
                self.groups.retain(|g| !g.lanes.is_empty());
            }
            LaneEdit::Split { lane } => {
                if !exists(self, lane) {
                    return false;
                }
                let old = self.groups[lane.0].lanes.remove(lane.1);
                let height = if self.is_digital_name(&old.channels, capture) { DIGITAL_HEIGHT } else { old.height };
                for (k, channel) in old.channels.into_iter().enumerate() {
                    self.groups[lane.0].lanes.insert(lane.1 + k, Lane { channels: vec![channel], height });
                }
            }
            LaneEdit::NewGroup { lane, ref name } => {
                if !exists(self, lane) {
                    return false;
                }
                let moved = self.groups[lane.0].lanes.remove(lane.1);
                let name = if name.trim().is_empty() { "group".to_string() } else { name.trim().to_string() };
                self.groups.insert(lane.0 + 1, LaneGroup { name, collapsed: false, lanes: vec![moved] });
                self.groups.retain(|g| !g.lanes.is_empty());
            }
            LaneEdit::RenameGroup { group, ref name } => match self.groups.get_mut(group) {
                Some(g) if !name.trim().is_empty() => g.name = name.trim().to_string(),
                _ => return false,
            },
        }
        true
    }

    fn is_digital(&self, (g, k): (usize, usize), capture: &Capture) -> bool {
        self.is_digital_name(&self.groups[g].lanes[k].channels, capture)
    }

    fn is_digital_name(&self, channels: &[String], capture: &Capture) -> bool {
        channels.iter().all(|c| capture.channel(c).is_some_and(|c| c.kind == ChannelKind::Digital))
    }

    /// Every lane, with its place.
    pub fn lanes(&self) -> impl Iterator<Item = ((usize, usize), &Lane)> {
        self.groups
            .iter()
            .enumerate()
            .flat_map(|(g, group)| group.lanes.iter().enumerate().map(move |(k, l)| ((g, k), l)))
    }
}

fn kind_name(kind: ChannelKind) -> String {
    format!("{}s", kind.as_str())
}

/// The phase letter channel `name` has where `key` has its dot.
fn phase_of<'a>(key: &str, name: &'a str) -> &'a str {
    let at = key.chars().position(|c| c == '·').unwrap_or(0);
    let (len, dots) = (key.chars().count(), key.chars().filter(|&c| c == '·').count());
    let extra = (name.chars().count() + dots).saturating_sub(len);
    let start = name.char_indices().nth(at).map_or(name.len(), |(b, _)| b);
    let end = name.char_indices().nth(at + extra).map_or(name.len(), |(b, _)| b);
    &name[start..end]
}

/// `I·_G1` with phases A, B, C reads `I_G1 (A, B, C)`; the dot marks where the phase was.
fn set_name(key: &str, phases: &[&str]) -> String {
    let name = key.replace("·_", "_").replace("_·", "").replace('·', "");
    let name = name.trim_matches('_');
    let phases = phases.join(", ");
    if name.is_empty() { format!("phases {phases}") } else { format!("{name} ({phases})") }
}

/// The name of lane `lane`'s set, for the channels of one set in one lane.
pub fn lane_title(capture: &Capture, lane: &Lane) -> Option<String> {
    let idx: Vec<usize> = lane.channels.iter().filter_map(|c| capture.channel_index(c)).collect();
    if idx.len() < 2 {
        return None;
    }
    let sets = phase_sets(capture, &idx);
    let [(key, members)] = sets.as_slice() else { return None };
    (members.len() == idx.len()).then(|| {
        let phases: Vec<&str> = members.iter().map(|&i| phase_of(key, &capture.channels[i].name)).collect();
        set_name(key, &phases)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Bits, Channel, Format};

    fn capture(names: &[(&str, &str)], digital: &[(&str, &[bool])]) -> Capture {
        let mut channels: Vec<Channel> =
            names.iter().map(|(n, u)| Channel::analog(*n, *u, None, vec![0.0; 8])).collect();
        for (n, bits) in digital {
            channels.push(Channel::digital(*n, bits.iter().copied().collect::<Bits>()));
        }
        let mut c = Capture::new("t", Format::Memory, 1000.0);
        c.channels = channels;
        c
    }

    #[test]
    fn relay_names_form_three_phase_sets() {
        let c = capture(
            &[
                ("IA_G1", "A"),
                ("IB_G1", "A"),
                ("IC_G1", "A"),
                ("VA_G1", "kV"),
                ("VB_G1", "kV"),
                ("VC_G1", "kV"),
                ("IN_TF7", "A"),
                ("IA_TF7", "A"),
                ("IB_TF7", "A"),
                ("IC_TF7", "A"),
            ],
            &[],
        );
        let sets = phase_sets(&c, &(0..c.channels.len()).collect::<Vec<_>>());
        let members: Vec<Vec<usize>> = sets.iter().map(|(_, m)| m.clone()).collect();
        assert_eq!(members, vec![vec![0, 1, 2], vec![3, 4, 5], vec![7, 8, 9, 6]]);
        assert_eq!(set_name(&sets[0].0, &["A", "B", "C"]), "I_G1 (A, B, C)");
        assert_eq!(phase_of(&sets[2].0, "IN_TF7"), "N");
        let c = capture(&[("V_A", "V"), ("V_B", "V"), ("I_01", "A"), ("I_mains_A", "A"), ("I_mains_B", "A")], &[]);
        let sets = phase_sets(&c, &(0..c.channels.len()).collect::<Vec<_>>());
        assert_eq!(sets.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>(), vec![vec![0, 1], vec![3, 4]]);
    }

    #[test]
    fn few_channels_share_a_lane_per_kind_and_many_get_a_lane_per_set() {
        let few = capture(&[("V_A", "V"), ("V_B", "V"), ("I_01", "A")], &[("trip", &[false, true])]);
        let l = LaneLayout::fit(&few);
        let names: Vec<&str> = l.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["voltages", "currents", "digital"]);
        assert_eq!(l.groups[0].lanes[0].channels, ["V_A", "V_B"]);
        let many: Vec<(String, &str)> = (1..=4)
            .flat_map(|g| {
                ["IA", "IB", "IC", "VA", "VB", "VC"]
                    .map(|q| (format!("{q}_G{g}"), if q.starts_with('V') { "kV" } else { "A" }))
            })
            .chain([("IN_TF7".to_string(), "A")])
            .collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(n, u)| (n.as_str(), *u)).collect();
        let digital: [(&str, &[bool]); 3] =
            [("86_G1", &[false, false, true]), ("51_G1", &[false; 3]), ("87_G1", &[false, true, true])];
        let c = capture(&many, &digital);
        let l = LaneLayout::fit(&c);
        let names: Vec<&str> = l.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["voltages", "currents", "digital"]);
        let currents: Vec<Vec<&str>> =
            l.groups[1].lanes.iter().map(|l| l.channels.iter().map(String::as_str).collect()).collect();
        assert_eq!(currents.len(), 5, "four sets and the neutral: {currents:?}");
        assert_eq!(currents[0], ["IA_G1", "IB_G1", "IC_G1"]);
        assert_eq!(lane_title(&c, &l.groups[1].lanes[0]).as_deref(), Some("I_G1 (A, B, C)"));
        let order: Vec<&str> = l.groups[2].lanes.iter().map(|l| l.channels[0].as_str()).collect();
        assert_eq!(order, ["87_G1", "86_G1", "51_G1"], "the ones that change first");
        let per_channel = LaneLayout::arranged(&c, Arrangement::PerChannel);
        assert_eq!(per_channel.groups[1].lanes.len(), 13);
        let sets = LaneLayout::arranged(&c, Arrangement::SetGroups);
        assert_eq!(sets.groups[0].name, "I_G1 (A, B, C)");
        assert_eq!(sets.groups[0].lanes.len(), 3);
    }

    #[test]
    fn lanes_move_resize_fold_overlay_and_split() {
        let c = capture(&[("a", "V"), ("b", "V"), ("c", "A")], &[]);
        let mut l = LaneLayout::arranged(&c, Arrangement::PerChannel);
        assert!(l.apply(&LaneEdit::Move { from: (0, 0), to: (0, 2) }, &c));
        assert_eq!(l.groups[0].lanes.iter().map(|l| l.channels[0].as_str()).collect::<Vec<_>>(), ["b", "a"]);
        assert!(l.apply(&LaneEdit::Resize { lane: (0, 0), height: 5.0 }, &c));
        assert_eq!(l.groups[0].lanes[0].height, MIN_HEIGHT);
        assert!(l.apply(&LaneEdit::Collapse { group: 1, collapsed: true }, &c) && l.groups[1].collapsed);
        assert!(l.apply(&LaneEdit::Overlay { from: (1, 0), into: (0, 0) }, &c));
        assert_eq!(l.groups.len(), 1, "the emptied group goes");
        assert_eq!(l.groups[0].lanes[0].channels, ["b", "c"]);
        assert!(l.apply(&LaneEdit::Split { lane: (0, 0) }, &c));
        assert_eq!(l.groups[0].lanes.len(), 3);
        assert!(!l.apply(&LaneEdit::Move { from: (4, 0), to: (0, 0) }, &c));
        // The user's own groups.
        assert!(l.apply(&LaneEdit::NewGroup { lane: (0, 1), name: " mine ".into() }, &c));
        assert_eq!((l.groups[1].name.as_str(), l.groups[1].lanes.len()), ("mine", 1));
        assert!(l.apply(&LaneEdit::RenameGroup { group: 1, name: "feeders".into() }, &c));
        assert_eq!(l.groups[1].name, "feeders");
        assert!(!l.apply(&LaneEdit::RenameGroup { group: 1, name: "  ".into() }, &c), "a name is needed");
        // Applied to a capture that changed: missing channels go, new ones get lanes.
        let other = capture(&[("a", "V"), ("d", "A")], &[]);
        let r = l.reconcile(&other);
        let all: Vec<&str> = r.lanes().flat_map(|(_, l)| l.channels.iter().map(String::as_str)).collect();
        assert_eq!(all, ["a", "d"]);
    }
}
