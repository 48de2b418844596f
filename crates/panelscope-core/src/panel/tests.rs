//! Model, validation and file tests: every rule fires on a panel that breaks it and stays
//! quiet on the sample panel.

use super::*;

fn codes(p: &Project) -> Vec<String> {
    p.validate().codes().into_iter().map(str::to_string).collect()
}

fn has(p: &Project, code: &str) -> bool {
    codes(p).iter().any(|c| c == code)
}

fn is_error(p: &Project, code: &str) -> bool {
    p.validate().errors.iter().any(|f| f.code == code)
}

fn one(space: u32, poles: u8, label: &str) -> Breaker {
    Breaker { space, poles, kind: BreakerKind::Breaker, rating_a: 20.0, circuits: vec![Circuit::new(label)] }
}

#[test]
fn the_sample_panel_has_no_errors() {
    let report = sample_panel().validate();
    assert!(report.errors.is_empty(), "{:#?}", report.errors);
    // Its unsensed solar circuit is listed.
    assert!(report.warnings.iter().any(|w| w.code == "no-sensor" && w.message.contains("Solar")));
}

#[test]
fn phases_follow_the_rows() {
    let split = template("split-phase-20").unwrap();
    let phases: Vec<Phase> = (1..=8).map(|s| split.phase_of(s)).collect();
    assert_eq!(phases, [Phase::A, Phase::A, Phase::B, Phase::B, Phase::A, Phase::A, Phase::B, Phase::B]);
    let wye = template("208y-42").unwrap();
    let phases: Vec<Phase> = [1, 2, 3, 5, 7, 8].iter().map(|&s| wye.phase_of(s)).collect();
    assert_eq!(phases, [Phase::A, Phase::A, Phase::B, Phase::C, Phase::A, Phase::A]);
    let din = template("din-24").unwrap();
    assert_eq!((1..=4).map(|s| din.phase_of(s)).collect::<Vec<_>>(), [Phase::A, Phase::B, Phase::C, Phase::A]);
    assert_eq!(Phase::B.name(din.layout()), "L2");
    // A 2-pole breaker spans n and n+2 in a North American column, n and n+1 on a rail.
    assert_eq!(split.spaces_of(&one(7, 2, "x")), [7, 9]);
    assert_eq!(din.spaces_of(&one(7, 3, "x")), [7, 8, 9]);
    assert_eq!(split.circuit_voltage(&one(7, 2, "x")), 240.0);
    assert_eq!(wye.circuit_voltage(&one(1, 2, "x")), 208.0);
    assert_eq!(wye.circuit_voltage(&one(1, 1, "x")), 120.0);
    let delta = Project::new("d", Service::HighLegDelta120_240, 12, Main::Lugs { rating_a: 100.0 });
    assert_eq!(delta.circuit_voltage(&one(3, 1, "x")), 208.0, "B is the high leg");
}

#[test]
fn two_breakers_in_one_space() {
    let mut p = template("split-phase-20").unwrap();
    p.breakers = vec![one(3, 1, "a"), one(1, 2, "b")];
    assert!(is_error(&p, "space-conflict"));
    let f = p.validate().errors.into_iter().find(|f| f.code == "space-conflict").unwrap();
    assert_eq!(f.slot.as_deref(), Some("space 3"));
    assert!(f.message.contains("\"a\"") && f.message.contains("\"b\""), "{}", f.message);
    // A tandem is one breaker with two circuits: fine.
    let mut t = template("split-phase-20").unwrap();
    let mut tandem = one(3, 1, "a");
    tandem.kind = BreakerKind::Tandem;
    tandem.circuits.push(Circuit::new("b"));
    t.breakers = vec![tandem];
    assert!(!has(&t, "space-conflict") && !has(&t, "tandem-circuits"));
    t.breakers[0].circuits.pop();
    assert!(is_error(&t, "tandem-circuits"));
}

#[test]
fn a_breaker_past_the_last_space() {
    let mut p = template("split-phase-20").unwrap();
    p.breakers = vec![one(19, 2, "dryer")];
    assert!(is_error(&p, "past-last-space"), "19 and 21 on 20 spaces");
    p.breakers = vec![one(17, 2, "dryer")];
    assert!(!has(&p, "past-last-space"));
}

#[test]
fn multi_pole_breakers_span_phases() {
    let mut p = template("split-phase-20").unwrap();
    p.breakers = vec![one(1, 3, "three")];
    assert!(is_error(&p, "three-pole-on-single-phase"));
    let mut wye = template("208y-42").unwrap();
    wye.breakers = vec![one(1, 3, "rtu"), one(2, 2, "ac")];
    assert!(!has(&wye, "three-pole-on-single-phase") && !has(&wye, "poles-same-phase"));
    // A DIN three-phase board: modules cycle phases, so 2 poles differ; a single-phase
    // board's 2-pole breaker is L+N and fine.
    let mut single = template("din-12").unwrap();
    single.breakers = vec![one(1, 2, "oven")];
    assert!(!has(&single, "poles-same-phase"));
    assert_eq!(single.circuit_voltage(&single.breakers[0]), 230.0);
    let mut bad = one(1, 4, "four");
    bad.poles = 4;
    wye.breakers = vec![bad];
    assert!(is_error(&wye, "poles"));
}

fn sensed_panel() -> Project {
    let mut p = template("split-phase-20").unwrap();
    p.strips = vec![Strip {
        name: "S1".into(),
        model: "m".into(),
        pitch: 2,
        first_space: 1,
        direction: StripDirection::Down,
        reversed: false,
        positions: (0..4).map(|k| Position { channel: format!("I_{k}"), rating_a: 50.0, reversed: false }).collect(),
    }];
    let mut b = one(1, 1, "lights");
    b.circuits[0].sensors = vec![SensorRef { strip: 0, position: 0 }];
    p.breakers = vec![b];
    p.voltage_refs = vec![VoltageRef { phase: Phase::A, channel: "V_A".into() }];
    p.mains = vec![MainSensor { phase: Phase::A, channel: "I_M".into(), rating_a: 200.0, reversed: false }];
    p
}

#[test]
fn a_sensed_panel_is_clean() {
    let p = sensed_panel();
    assert!(p.validate().errors.is_empty() && p.validate().warnings.is_empty(), "{:#?}", p.validate());
}

#[test]
fn two_strips_over_one_space() {
    let mut p = sensed_panel();
    let mut second = p.strips[0].clone();
    second.name = "S2".into();
    second.first_space = 5;
    second.positions.iter_mut().for_each(|pos| pos.channel.push('b'));
    p.strips.push(second);
    let f = p.validate().errors.into_iter().find(|f| f.code == "strips-overlap").expect("overlap");
    assert_eq!(f.slot.as_deref(), Some("space 5"));
}

#[test]
fn one_channel_mapped_twice() {
    let mut p = sensed_panel();
    p.strips[0].positions[2].channel = "I_0".into();
    assert!(is_error(&p, "channel-twice"));
    let mut q = sensed_panel();
    q.mains[0].channel = "V_A".into();
    assert!(is_error(&q, "channel-twice"));
    let mut r = sensed_panel();
    r.breakers.push(one(3, 1, "other"));
    r.breakers[1].circuits[0].sensors = vec![SensorRef { strip: 0, position: 0 }];
    assert!(is_error(&r, "sensor-twice"));
}

#[test]
fn a_sensor_position_over_another_space() {
    let mut p = sensed_panel();
    // Position 2 sits over space 5, the breaker is on space 1.
    p.breakers[0].circuits[0].sensors = vec![SensorRef { strip: 0, position: 2 }];
    let f = p.validate().errors.into_iter().find(|f| f.code == "sensor-elsewhere").expect("elsewhere");
    assert_eq!(f.slot.as_deref(), Some("strip S1 position 3"));
    assert!(f.message.contains("space 5") && f.message.contains("lights"), "{}", f.message);
    p.breakers[0].circuits[0].sensors = vec![SensorRef { strip: 0, position: 9 }];
    assert!(is_error(&p, "sensor-missing"));
}

#[test]
fn a_circuit_without_a_sensor() {
    let mut p = sensed_panel();
    p.breakers[0].circuits[0].sensors.clear();
    assert!(has(&p, "no-sensor") && !is_error(&p, "no-sensor"));
}

#[test]
fn a_multi_pole_circuit_with_one_pole_sensed() {
    let mut p = sensed_panel();
    let mut wh = one(3, 2, "water heater");
    wh.circuits[0].sensors = vec![SensorRef { strip: 0, position: 1 }];
    p.breakers.push(wh);
    p.voltage_refs.push(VoltageRef { phase: Phase::B, channel: "V_B".into() });
    assert!(is_error(&p, "unsensed-pole"));
    p.breakers[1].circuits[0].multiplier = 2.0;
    assert!(!has(&p, "unsensed-pole"));
    p.breakers[1].circuits[0].sensors.push(SensorRef { strip: 0, position: 2 });
    p.breakers[1].circuits[0].multiplier = 1.0;
    assert!(!has(&p, "unsensed-pole") && !has(&p, "sensor-elsewhere"), "{:?}", codes(&p));
}

#[test]
fn duplicate_or_empty_labels() {
    let mut p = sensed_panel();
    p.breakers.push(one(3, 1, "Lights"));
    assert!(has(&p, "duplicate-label"));
    p.breakers[1].circuits[0].label = "  ".into();
    assert!(is_error(&p, "empty-label"));
}

#[test]
fn a_breaker_rating_beyond_the_sensor() {
    let mut p = sensed_panel();
    p.breakers[0].rating_a = 60.0;
    let f = p.validate().warnings.into_iter().find(|f| f.code == "rating-beyond-sensor").expect("rating");
    assert!(f.message.contains("60") && f.message.contains("50"), "{}", f.message);
    let mut q = sensed_panel();
    q.mains[0].rating_a = 60.0;
    assert!(has(&q, "rating-beyond-sensor"), "a 100 A main on a 60 A sensor");
}

#[test]
fn solar_is_expected_to_be_generation() {
    let mut p = sensed_panel();
    p.breakers[0].circuits[0].label = "Solar PV".into();
    assert!(has(&p, "generation-as-load"));
    p.breakers[0].circuits[0].direction = Direction::Generation;
    assert!(!has(&p, "generation-as-load"));
    let config = p.install_config().unwrap();
    assert_eq!(config.circuits[0].direction, Direction::Generation);
}

#[test]
fn missing_references_and_mains_are_warned() {
    let mut p = sensed_panel();
    p.voltage_refs.clear();
    p.mains.clear();
    assert!(has(&p, "no-voltage-ref") && has(&p, "no-mains"));
}

#[test]
fn export_is_blocked_by_errors() {
    let mut p = sensed_panel();
    p.breakers.push(one(1, 1, "clash"));
    let report = p.install_config().unwrap_err();
    assert!(report.errors.iter().any(|f| f.code == "space-conflict"));
}

#[test]
fn the_sample_install_config_names_the_sample_channels() {
    let config = sample_panel().install_config().unwrap();
    let mut channels: Vec<String> = config.channel_roles().into_iter().map(|r| r.channel).collect();
    channels.sort();
    let mut expected: Vec<String> = ["V_A", "V_B", "I_MAIN_A", "I_MAIN_B"].iter().map(|s| s.to_string()).collect();
    expected.extend((1..=8).map(|k| format!("I_{k:02}")));
    expected.sort();
    assert_eq!(channels, expected);
    let heater = config.circuits.iter().find(|c| c.label == "Water heater").unwrap();
    assert_eq!(heater.voltage_v, 240.0);
    assert_eq!(heater.phases, [Phase::A, Phase::B]);
    let legs: Vec<(&str, Option<&str>)> =
        heater.channels.iter().map(|c| (c.channel.as_str(), c.voltage_channel.as_deref())).collect();
    assert_eq!(legs, [("I_01", Some("V_A")), ("I_03", Some("V_B"))]);
    assert_eq!(config.virtual_outputs.len(), 4, "mains and balance per leg");
    assert!(config.validate().errors.is_empty());
}

#[test]
fn project_and_config_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let p = sample_panel();
    let path = dir.path().join("panel.ron");
    p.save(&path).unwrap();
    assert_eq!(Project::load(&path).unwrap(), p);
    let config = p.install_config().unwrap();
    assert_eq!(parse_install_config(&config.to_json()).unwrap(), config);
    assert_eq!(parse_install_config(&config.to_ron()).unwrap(), config);
}

#[test]
fn bad_files_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ron");
    std::fs::write(&path, "(schema_version: 1,\n panel: oops)").unwrap();
    let e = Project::load(&path).unwrap_err().to_string();
    assert!(e.contains("bad.ron") && e.contains("line 2"), "{e}");
    std::fs::write(&path, sample_panel().to_ron().replacen("schema_version: 1", "schema_version: 99", 1)).unwrap();
    assert!(Project::load(&path).unwrap_err().to_string().contains("newer"));
    let e = parse_install_config("{\"schema_version\": 1,\n \"panel\": }").unwrap_err().to_string();
    assert!(e.contains("line 2"), "{e}");
    let mut config = sample_panel().install_config().unwrap();
    config.circuits[1].channels[0].channel = "I_01".into();
    config.schema_version = 7;
    let codes: Vec<String> = config.validate().errors.into_iter().map(|f| f.code).collect();
    assert!(codes.contains(&"channel-twice".to_string()) && codes.contains(&"schema-version".to_string()));
}

#[test]
fn a_schedule_becomes_a_project() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("house.csv");
    std::fs::write(
        &path,
        "slot,label,poles,rating_a,kind,room\n1,Water heater,2,30,breaker,basement\n2,\"Bath, hall\",1,15,breaker,\n4,Lights/Fan,1,15,tandem,\n5,,1,20,spare,\n6,,1,,space,\n",
    )
    .unwrap();
    let p = import_schedule(&path, None, Service::SplitPhase120_240).unwrap();
    assert_eq!(p.panel.name, "house");
    assert_eq!(p.panel.spaces, 6);
    assert_eq!(p.breakers.len(), 5);
    assert_eq!(p.breakers[0].circuits[0].notes, "room: basement");
    assert_eq!(p.breakers[1].circuits[0].label, "Bath, hall");
    let labels: Vec<&str> = p.breakers[2].circuits.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels, ["Lights", "Fan"]);
    assert!(p.validate().errors.is_empty(), "{:#?}", p.validate().errors);
    std::fs::write(&path, "slot,label,poles,rating_a,kind\n1,x,2,30,breaker\n3,y,1,abc,breaker\n").unwrap();
    let e = import_schedule(&path, None, Service::SplitPhase120_240).unwrap_err().to_string();
    assert!(e.contains("house.csv") && e.contains("line 3") && e.contains("abc"), "{e}");
}

#[test]
fn the_directory_lists_every_slot() {
    let p = sample_panel();
    let csv = directory_csv(&p);
    assert!(csv.starts_with("slot,label,kind"));
    assert!(csv.contains("\"spaces 1, 3\",Water heater,breaker,2,30,A B,240"), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("space 9,spare")));
    let svg = directory_svg(&p);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("Water heater") && svg.contains("Sample house"));
    assert!(svg.matches("<rect").count() >= 2 * 20, "every space drawn");
}

#[test]
fn absurd_panels_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.ron");
    let mut p = template("split-phase-30").unwrap();
    p.panel.spaces = 1_000_000_000;
    std::fs::write(&path, p.to_ron()).unwrap();
    let error = Project::load(&path).unwrap_err().to_string();
    assert!(error.contains("huge.ron") && error.contains("1000000000 spaces is out of range"), "{error}");
    let report = p.validate();
    assert_eq!(report.errors.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(), ["too-many-spaces"]);

    let mut p = template("split-phase-20").unwrap();
    p.breakers = (0..41)
        .map(|k| Breaker {
            space: 1 + k % 20,
            poles: 1,
            kind: BreakerKind::Breaker,
            rating_a: 20.0,
            circuits: vec![Circuit::new("x")],
        })
        .collect();
    std::fs::write(&path, p.to_ron()).unwrap();
    let error = Project::load(&path).unwrap_err().to_string();
    assert!(error.contains("41 breakers in 20 spaces"), "{error}");
}

#[test]
fn a_breaker_past_the_last_space_never_wraps_onto_the_first() {
    let mut p = template("split-phase-20").unwrap();
    p.breakers.push(Breaker {
        space: u32::MAX,
        poles: 3,
        kind: BreakerKind::Breaker,
        rating_a: 20.0,
        circuits: vec![Circuit::new("x")],
    });
    assert!(p.spaces_of(&p.breakers[0]).iter().all(|&s| s == u32::MAX));
    assert!(p.validate().errors.iter().any(|f| f.code == "past-last-space"));
}

#[test]
fn a_mains_sign_other_than_plus_or_minus_one_is_refused() {
    let mut config = sample_panel().install_config().unwrap();
    config.mains[0].sign = 7.0;
    let report = config.validate();
    assert!(report.errors.iter().any(|f| f.code == "sign" && f.message.contains("sign 7")), "{:?}", report.errors);
}
