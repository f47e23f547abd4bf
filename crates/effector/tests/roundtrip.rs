//! Round trips (issue 14): a spec written as JSON or TOML parses back to the same spec, and a
//! scenario written as JSON to the same scenario, over every preset × every muscle model it
//! takes, with every number of the spec perturbed at random (up to 17 significant digits, the
//! hardest case for a float printer and parser). A field that serialisation drops, renames
//! or rounds fails them.

use motornet_effector::fields::{Params, SpecValue};
use motornet_effector::{presets, EffectorSpec, Scenario};
use motornet_muscle::AnyMuscle;
use proptest::prelude::*;

/// Every (preset, muscle model) pair `presets::spec` accepts.
fn preset_specs() -> Vec<EffectorSpec> {
    let specs: Vec<EffectorSpec> = presets::NAMES
        .iter()
        .flat_map(|p| {
            AnyMuscle::NAMES
                .iter()
                .filter_map(move |m| presets::spec(p, Some(m)).ok())
        })
        .collect();
    // each preset takes at least its default model; the arms take several
    assert!(specs.len() > presets::NAMES.len(), "{} specs", specs.len());
    specs
}

/// Apply `next` to every number of a geometry field, depth first.
fn each_number(v: &mut SpecValue, next: &mut impl FnMut(&mut f64)) {
    match v {
        SpecValue::Number(x) => next(x),
        SpecValue::List(l) => l.iter_mut().for_each(|v| each_number(v, next)),
        SpecValue::Table(t) => {
            let names: Vec<String> = t.names().map(String::from).collect();
            for n in names {
                each_number(t.get_mut(&n).unwrap(), next);
            }
        }
    }
}

fn each_param(p: &mut Params, next: &mut impl FnMut(&mut f64)) {
    let names: Vec<String> = p.names().map(String::from).collect();
    for n in names {
        next(p.get_mut(&n).unwrap());
    }
}

/// Multiply every number of `spec` that is not a whole number (whole numbers are counts,
/// dimensions, body indices, or zero) by `1 + f` for the next `f` of `factors` (cycled);
/// returns how many numbers it changed.
fn perturb(spec: &mut EffectorSpec, factors: &[f64]) -> usize {
    let mut f = factors.iter().cycle();
    let mut count = 0;
    let mut next = |x: &mut f64| {
        if x.fract() != 0.0 {
            *x *= 1.0 + f.next().unwrap();
            count += 1;
        }
    };
    each_param(&mut spec.skeleton.params, &mut next);
    let m = &mut spec.muscle;
    // an omitted value stays omitted; a given one is perturbed
    for x in [
        &mut m.min_activation,
        &mut m.tau_activation,
        &mut m.tau_deactivation,
    ]
    .into_iter()
    .flatten()
    {
        next(x);
    }
    each_param(&mut m.params, &mut next);
    for muscle in &mut spec.muscles {
        next(&mut muscle.max_isometric_force);
        each_param(&mut muscle.params, &mut next);
    }
    let names: Vec<String> = spec.geometry.fields.names().map(String::from).collect();
    for n in names {
        each_number(spec.geometry.fields.get_mut(&n).unwrap(), &mut next);
    }
    next(&mut spec.timestep);
    next(&mut spec.damping);
    for v in [
        &mut spec.pos_lower_bound,
        &mut spec.pos_upper_bound,
        &mut spec.vel_lower_bound,
        &mut spec.vel_upper_bound,
    ] {
        v.iter_mut().for_each(&mut next);
    }
    count
}

/// A preset spec (index into [`preset_specs`]) with every number perturbed by up to ±10 %.
fn specs() -> impl Strategy<Value = EffectorSpec> {
    let n = preset_specs().len();
    (0..n, prop::collection::vec(-0.1f64..0.1, 1..64)).prop_map(|(i, factors)| {
        let mut spec = preset_specs().swap_remove(i);
        assert!(perturb(&mut spec, &factors) >= 2);
        spec
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_spec_written_as_json_parses_back_to_the_same_spec(spec in specs()) {
        let json = spec.to_json();
        prop_assert_eq!(EffectorSpec::from_json(&json).unwrap(), spec, "{}", json);
    }

    #[test]
    fn a_spec_written_as_toml_parses_back_to_the_same_spec(spec in specs()) {
        let toml = spec.to_toml();
        prop_assert_eq!(EffectorSpec::from_toml(&toml).unwrap(), spec, "{}", toml);
    }

    #[test]
    fn a_scenario_written_as_json_parses_back_to_the_same_scenario(
        spec in specs(),
        name in prop::option::of("[a-z ]{0,8}"),
        (b, t) in (1usize..3, 1usize..4),
        values in prop::collection::vec(-1e3f64..1e3, 64),
        loads in any::<(bool, bool)>(),
    ) {
        let effector = spec.build().unwrap();
        let (dof, m, d) = (effector.dof(), effector.n_muscles(), effector.space_dim());
        let mut v = values.iter().cycle().copied();
        let mut block = |n: usize| -> Vec<Vec<Vec<f64>>> {
            (0..t).map(|_| (0..b).map(|_| v.by_ref().take(n).collect()).collect()).collect()
        };
        let excitation = block(m);
        let endpoint_load = loads.0.then(|| block(d));
        let joint_load = loads.1.then(|| block(dof));
        let initial_joint_state = (0..b).map(|_| v.by_ref().take(2 * dof).collect()).collect();
        let scenario = Scenario {
            name,
            effector: spec,
            initial_joint_state,
            excitation,
            endpoint_load,
            joint_load,
        };
        let json = serde_json::to_string(&scenario).unwrap();
        prop_assert_eq!(Scenario::from_json(&json).unwrap(), scenario, "{}", json);
    }
}

/// The round trip sees every number: a spec whose timestep is perturbed differs from the
/// preset (the check above cannot pass by comparing a value with itself).
#[test]
fn a_perturbed_spec_differs_from_its_preset() {
    let preset = presets::spec("RigidTendonArm26", None).unwrap();
    let mut spec = preset.clone();
    perturb(&mut spec, &[1e-3]);
    assert_ne!(spec, preset);
    assert_ne!(EffectorSpec::from_json(&spec.to_json()).unwrap(), preset);
}

/// Issue 14 (found by fuzzing): serde_json's default number parser is not exact, so
/// `0.00000000000000000000057` read as 5.700000000000001e-22, and the spec written back as
/// JSON read as yet another number. Numbers now parse to the nearest float (serde_json's
/// `float_roundtrip`), and the round trip is exact.
#[test]
fn json_numbers_parse_to_the_nearest_float_and_a_spec_round_trips_exactly() {
    let mut json: serde_json::Value =
        serde_json::from_str(&presets::spec("RigidTendonArm26", None).unwrap().to_json()).unwrap();
    json["skeleton"]["i2"] = serde_json::Value::Null;
    let text = json
        .to_string()
        .replace("\"i2\":null", "\"i2\":0.00000000000000000000057");
    let spec = EffectorSpec::from_json(&text).unwrap();
    assert_eq!(spec.skeleton.params.get("i2"), Some(&5.7e-22));
    assert_eq!(EffectorSpec::from_json(&spec.to_json()).unwrap(), spec);
}
