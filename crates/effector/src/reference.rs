//! The spec-file reference for the registered models, rendered from the registries
//! ([`AnySkeleton::MODELS`], [`AnyMuscle::MODELS`], [`AnyGeometry::MODELS`]) as markdown.
//!
//! `docs/spec-format.md` holds these sections between marker comments
//! (`<!-- registry:NAME begin -->` … `<!-- registry:NAME end -->`); a test
//! (`crates/effector/tests/reference_docs.rs`) fails when the committed text differs from
//! [`sections`], and rewrites it when run with `UPDATE_DOCS=1`. So a model added to a
//! registry is documented by running that test once.

use crate::{AnyGeometry, AnySkeleton};
use motornet_muscle::{AnyMuscle, ParamDecl};
use std::fmt::Write;

/// The generated sections, `(name, markdown)`: `skeletons`, `muscle-models`, `muscles`,
/// `geometries`.
pub fn sections() -> Vec<(&'static str, String)> {
    vec![
        ("skeletons", skeletons()),
        ("muscle-models", muscle_models()),
        ("muscles", muscles()),
        ("geometries", geometries()),
    ]
}

/// `a`, `b` or `c`.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`\"{n}\"`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

fn default_of(d: &ParamDecl) -> String {
    match d.default {
        None => "required".into(),
        Some(v) => format!("{v}"),
    }
}

fn unit_of(d: &ParamDecl) -> String {
    match (d.integer, d.unit) {
        (true, "") => "integer".into(),
        (true, u) => format!("integer ({u})"),
        (false, "") => "–".into(),
        (false, u) => u.into(),
    }
}

fn skeletons() -> String {
    let mut s = format!("`type` is {}.\n", one_of(AnySkeleton::NAMES));
    for k in AnySkeleton::MODELS {
        let _ = write!(
            s,
            "\n**`{}`**: {}.\n\n| field | unit | default | meaning |\n|---|---|---|---|\n",
            k.name, k.summary
        );
        for d in k.params {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | {} |",
                d.name,
                unit_of(d),
                default_of(d),
                d.doc
            );
        }
    }
    s
}

fn muscle_models() -> String {
    let mut s = String::from("| field | type | default | meaning |\n|---|---|---|---|\n");
    let _ = writeln!(
        s,
        "| `type` | string | required | {} |",
        one_of(AnyMuscle::NAMES)
    );
    s += "| `min_activation` | number in [0, 1) | per model | lowest activation; excitations and activations are clipped to `[min_activation, 1]` |\n";
    s += "| `tau_activation` | s | per model | activation time constant, > 0 |\n";
    s += "| `tau_deactivation` | s | per model | deactivation time constant, > 0 |\n";
    for m in AnyMuscle::MODELS {
        for d in m.model_params {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} | `{}` only: {} |",
                d.name,
                unit_of(d),
                default_of(d),
                m.name,
                d.doc
            );
        }
    }
    s += "\nMotorNet's defaults per model:\n\n| model | `min_activation` | `tau_activation` | `tau_deactivation` | what it is |\n|---|---|---|---|---|\n";
    for m in AnyMuscle::MODELS {
        let a = m.default_activation;
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            m.name, a.min_activation, a.tau_activation, a.tau_deactivation, m.summary
        );
    }
    s
}

fn muscles() -> String {
    let mut s = String::from(
        "| field | unit | default | models | meaning |\n|---|---|---|---|---|\n\
         | `name` | string | required | all | unique; paths are keyed by it |\n\
         | `max_isometric_force` | N | required | all | F_max, finite, > 0 |\n",
    );
    // one row per distinct declaration, listing the models that share it
    let mut rows: Vec<(ParamDecl, Vec<&str>)> = vec![];
    for m in AnyMuscle::MODELS {
        for d in m.muscle_params {
            match rows.iter_mut().find(|(r, _)| r == d) {
                Some((_, models)) => models.push(m.name),
                None => rows.push((*d, vec![m.name])),
            }
        }
    }
    for (d, models) in rows {
        let models: Vec<String> = models.iter().map(|m| format!("`{m}`")).collect();
        let _ = writeln!(
            s,
            "| `{}` | {} | {} | {} | {} |",
            d.name,
            unit_of(&d),
            default_of(&d),
            models.join(", "),
            d.doc
        );
    }
    s +=
        "\nA field a model does not list is an error naming the field, the muscle and the model.\n";
    s
}

fn geometries() -> String {
    let mut s = format!("`type` is {}.\n", one_of(AnyGeometry::NAMES));
    for g in AnyGeometry::MODELS {
        let _ = write!(
            s,
            "\n**`{}`**: {}.\n\n| field | shape | unit | meaning |\n|---|---|---|---|\n",
            g.name, g.summary
        );
        for d in g.fields {
            let unit = if d.unit.is_empty() { "–" } else { d.unit };
            let _ = writeln!(
                s,
                "| `{}`{} | {} | {} | {} |",
                d.name,
                if d.required { "" } else { " (optional)" },
                d.shape,
                unit,
                d.doc
            );
        }
    }
    s
}
