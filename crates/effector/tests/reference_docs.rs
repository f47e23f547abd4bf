//! `docs/spec-format.md`'s reference sections for the registered skeletons, muscle models and
//! geometries are generated from the registries (`motornet_effector::reference`): this test
//! fails when the committed text differs, and rewrites the file when run with `UPDATE_DOCS=1`
//! (`UPDATE_DOCS=1 cargo test -p motornet-effector --test reference_docs`).

use std::path::PathBuf;

fn doc_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/spec-format.md")
}

/// `text` with the block between `<!-- registry:NAME begin -->` and `<!-- registry:NAME end -->`
/// replaced by `body`.
fn replace_block(text: &str, name: &str, body: &str) -> String {
    let begin = format!("<!-- registry:{name} begin -->\n");
    let end = format!("<!-- registry:{name} end -->");
    let b = text
        .find(&begin)
        .unwrap_or_else(|| panic!("docs/spec-format.md has no `{}`", begin.trim()))
        + begin.len();
    let e = text[b..]
        .find(&end)
        .unwrap_or_else(|| panic!("docs/spec-format.md has no `{end}`"))
        + b;
    format!("{}{body}{}", &text[..b], &text[e..])
}

#[test]
fn spec_format_reference_sections_match_the_registries() {
    let path = doc_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut want = text.clone();
    for (name, body) in motornet_effector::reference::sections() {
        want = replace_block(&want, name, &body);
    }
    if want == text {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let first = text
        .lines()
        .zip(want.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(text.lines().count().min(want.lines().count()));
    panic!(
        "docs/spec-format.md is out of date with the registries (first difference at line {}); \
         run `UPDATE_DOCS=1 cargo test -p motornet-effector --test reference_docs`",
        first + 1
    );
}

#[test]
fn the_generated_sections_name_every_registered_model_and_parameter() {
    let all: String = motornet_effector::reference::sections()
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    for m in motornet_muscle::AnyMuscle::MODELS {
        assert!(all.contains(&format!("`{}`", m.name)), "{}", m.name);
        for d in m.model_params.iter().chain(m.muscle_params) {
            assert!(
                all.contains(&format!("| `{}` |", d.name)),
                "{}.{}",
                m.name,
                d.name
            );
        }
    }
    for k in motornet_effector::AnySkeleton::MODELS {
        assert!(all.contains(&format!("**`{}`**", k.name)), "{}", k.name);
        for d in k.params {
            assert!(
                all.contains(&format!("| `{}` |", d.name)),
                "{}.{}",
                k.name,
                d.name
            );
        }
    }
    for g in motornet_effector::AnyGeometry::MODELS {
        assert!(all.contains(&format!("**`{}`**", g.name)), "{}", g.name);
        for d in g.fields {
            assert!(
                all.contains(&format!("| `{}` |", d.name)),
                "{}.{}",
                g.name,
                d.name
            );
        }
    }
}

#[test]
fn a_block_is_replaced_between_its_markers_only() {
    let text = "a\n<!-- registry:x begin -->\nold\n<!-- registry:x end -->\nb\n";
    assert_eq!(
        replace_block(text, "x", "new\n"),
        "a\n<!-- registry:x begin -->\nnew\n<!-- registry:x end -->\nb\n"
    );
}
