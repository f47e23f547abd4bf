//! The documentation stays true to the tree: every example, figure and document that README.md,
//! ARCHITECTURE.md, CONTRIBUTING.md or `docs/*.md` names exists, and every file in `examples/`
//! is an example target of this crate (so `cargo run --release --example NAME` works).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn documents() -> Vec<PathBuf> {
    let mut docs: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "CONTRIBUTING.md"]
        .iter()
        .map(|f| root().join(f))
        .collect();
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            docs.push(p);
        }
    }
    docs
}

/// Path-like words of `text` (letters, digits, `-`, `_`, `/`, `.`) that contain `infix` and end
/// with `suffix`, whole (`crates/policy/examples/x.rs`, not just `examples/x.rs`).
fn mentions(text: &str, infix: &str, suffix: &str) -> Vec<String> {
    let is_path = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.');
    text.split(|c: char| !is_path(c))
        .filter(|w| w.contains(infix))
        .filter_map(|w| {
            let w = w.trim_end_matches('.');
            w.ends_with(suffix)
                .then(|| w.trim_start_matches("../").to_string())
        })
        .collect()
}

#[test]
fn named_examples_figures_and_documents_exist() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).unwrap();
        let dir = doc.parent().unwrap();
        for ex in mentions(&text, "examples/", ".rs") {
            assert!(
                root().join(&ex).exists(),
                "{} names {ex}, which does not exist",
                doc.display()
            );
        }
        for fig in mentions(&text, "figures/", ".png") {
            assert!(
                dir.join(&fig).exists() || root().join("docs").join(&fig).exists(),
                "{} shows {fig}, which does not exist",
                doc.display()
            );
        }
        for md in [
            "spec-format.md",
            "cli.md",
            "gradients.md",
            "training.md",
            "guide.md",
        ] {
            if text.contains(&format!("({md})")) {
                assert!(Path::new(&root().join("docs").join(md)).exists(), "{md}");
            }
        }
    }
}

#[test]
fn every_example_file_is_an_example_target() {
    let manifest = std::fs::read_to_string(root().join("crates/motornet/Cargo.toml")).unwrap();
    for e in std::fs::read_dir(root().join("examples")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "rs") {
            let name = p.file_stem().unwrap().to_str().unwrap();
            assert!(
                manifest.contains(&format!("name = \"{name}\""))
                    && manifest.contains(&format!("path = \"../../examples/{name}.rs\"")),
                "examples/{name}.rs is not an [[example]] of crates/motornet/Cargo.toml"
            );
        }
    }
}
