//! The architecture invariants of `ARCHITECTURE.md` that can be read off the source tree,
//! checked by reading the workspace's files (no build metadata, no extra dependencies):
//!
//! - motornet-muscle's `[dependencies]` are only motornet-scalar and thiserror;
//! - motornet-skeleton's `[dependencies]` are only motornet-scalar and thiserror;
//! - motornet-scalar's `[dependencies]` are only num-dual;
//! - no crate under `crates/` except motornet-dfdx (the bridge), motornet-train (the
//!   episode op) and motornet-policy-dfdx (networks with automatic gradients) depends on dfdx,
//!   in any dependency table;
//! - motornet-policy-dfdx's `[dependencies]` are only motornet-policy, dfdx and rand (no
//!   physics, tasks or training);
//! - motornet-analysis's `[dependencies]` are only nalgebra and thiserror (plain slices of
//!   activity: no effectors, tasks or training);
//! - motornet-mjcf's `[dependencies]` are only roxmltree and thiserror (an MJCF reader that
//!   knows no effector: the importer converts its model);
//! - the facade's `src/lib.rs` holds only re-exports (no `fn` or other items);
//! - the facade's program dependencies (clap, indicatif, ctrlc, motornet-plot) are optional,
//!   behind default features `cli` and `plot`, and `cargo tree -p motornet
//!   --no-default-features` has none of them (nor plotters); only the facade depends on
//!   motornet-plot, and only motornet-plot on plotters;
//! - only motornet-python depends on PyO3 and rust-numpy, nothing depends on it, and its
//!   `[dependencies]` are library crates (no dfdx, plots or facade), PyO3, numpy, serde_json.
//!
//! The `Cargo.toml` reading is deliberately small: it understands the forms this workspace uses
//! (`name.workspace = true`, `name = "1"`, `name = { … }`, `[dependencies.name]` tables,
//! `package = "…"` renames, `[target.'cfg(…)'.dependencies]`). A failure says which crate broke
//! which invariant, and where to read why.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Crates that may depend on dfdx (the tensor library training records its fused ops on). Adding a
/// crate here (a dfdx bridge, say) is a deliberate change: update `ARCHITECTURE.md` with it.
const DFDX_ALLOWED: &[&str] = &["motornet-dfdx", "motornet-train", "motornet-policy-dfdx"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// A crate under `crates/`: its directory, package name and manifest text.
struct Crate {
    dir: PathBuf,
    name: String,
    manifest: String,
}

fn crates() -> Vec<Crate> {
    let dir = workspace_root().join("crates");
    let mut out: Vec<Crate> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .map(|dir| {
            let manifest = read(&dir.join("Cargo.toml"));
            let name = package_name(&manifest)
                .unwrap_or_else(|| panic!("{}/Cargo.toml has no package name", dir.display()));
            Crate {
                dir,
                name,
                manifest,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    assert!(
        out.len() >= 5,
        "expected the workspace's crates under {}, found {}",
        dir.display(),
        out.len()
    );
    out
}

fn find(crates: &[Crate], name: &str) -> usize {
    crates
        .iter()
        .position(|c| c.name == name)
        .unwrap_or_else(|| panic!("no crate named {name} under crates/"))
}

/// `name = "…"` in the `[package]` table.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(strip_comment) {
        if let Some(header) = table_header(line) {
            in_package = header == "package";
        } else if in_package {
            if let Some((key, value)) = line.split_once('=') {
                if key.trim() == "name" {
                    return Some(value.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    None
}

fn strip_comment(line: &str) -> &str {
    // Good enough for manifests: no `#` inside the strings this workspace writes.
    line.split('#').next().unwrap_or("").trim()
}

/// The name of a table header line, `[name]` or `[[name]]` (the latter are targets here, never
/// dependency tables).
fn table_header(line: &str) -> Option<&str> {
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    Some(inner.trim_start_matches('[').trim_end_matches(']').trim())
}

/// Which dependency tables to read.
#[derive(Clone, Copy, PartialEq)]
enum Kinds {
    /// `[dependencies]` and `[target.….dependencies]`: what the library itself links.
    Normal,
    /// Every dependency table: normal, dev, build, and their target-specific forms.
    All,
}

/// The dependency table a header opens, if any: `Some(None)` for a table of dependencies,
/// `Some(Some(name))` for a `[dependencies.name]` table.
fn dependency_table(header: &str, kinds: Kinds) -> Option<Option<String>> {
    let header = match header.strip_prefix("target.") {
        // [target.'cfg(unix)'.dependencies] or [target.x86_64-unknown-linux-gnu.dependencies]:
        // drop the platform
        Some(rest) => match rest.rsplit_once("'.").or(rest.rsplit_once("\".")) {
            Some((_, table)) => table,
            None => rest.split_once('.')?.1,
        },
        None => header,
    };
    let tables: &[&str] = match kinds {
        Kinds::Normal => &["dependencies"],
        Kinds::All => &["dependencies", "dev-dependencies", "build-dependencies"],
    };
    for table in tables {
        if header == *table {
            return Some(None);
        }
        if let Some(name) = header.strip_prefix(table).and_then(|r| r.strip_prefix('.')) {
            return Some(Some(name.trim_matches('"').to_string()));
        }
    }
    None
}

/// The package names a manifest depends on in the chosen tables (a renamed dependency counts
/// under its real package name).
fn dependencies(manifest: &str, kinds: Kinds) -> BTreeSet<String> {
    let mut deps = BTreeSet::new();
    // None: not in a dependency table; Some(None): in a table of dependencies;
    // Some(Some(name)): in the `[dependencies.name]` table of one dependency.
    let mut table: Option<Option<String>> = None;
    for line in manifest.lines().map(strip_comment) {
        if line.is_empty() {
            continue;
        }
        if let Some(header) = table_header(line) {
            table = dependency_table(header, kinds);
            if let Some(Some(name)) = &table {
                deps.insert(name.clone());
            }
            continue;
        }
        match &table {
            Some(None) => {
                let Some((key, value)) = line.split_once('=') else {
                    continue;
                };
                // `name.workspace = true` or `name = …`
                let name = key.split('.').next().unwrap_or("").trim().trim_matches('"');
                deps.insert(renamed(value).unwrap_or_else(|| name.to_string()));
            }
            Some(Some(name)) => {
                // `package = "real-name"` inside `[dependencies.name]`
                if let Some(real) = renamed(line) {
                    deps.remove(name);
                    deps.insert(real);
                }
            }
            None => {}
        }
    }
    deps
}

/// The `package = "…"` of an inline dependency table, if it renames the dependency.
fn renamed(text: &str) -> Option<String> {
    let at = text.find("package")?;
    let rest = text[at + "package".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start().strip_prefix('"')?;
    Some(rest.split('"').next()?.to_string())
}

/// `krate`'s `[dependencies]` are a subset of `allowed`, and include `allowed[0]` (so that a
/// manifest the reader fails to understand cannot pass by yielding nothing).
fn assert_only_dependencies(krate: &Crate, allowed: &[&str], why: &str) {
    let deps = dependencies(&krate.manifest, Kinds::Normal);
    assert!(
        deps.contains(allowed[0]),
        "the manifest reader found {deps:?} in the [dependencies] of {} but not {}: update the \
         reader in this file for the form its Cargo.toml uses",
        krate.name,
        allowed[0]
    );
    let extra: Vec<&String> = deps
        .iter()
        .filter(|d| !allowed.contains(&d.as_str()))
        .collect();
    assert!(
        extra.is_empty(),
        "{name} ({manifest}) depends on {extra:?} in [dependencies]; it may depend only on \
         {allowed:?}. {why} See ARCHITECTURE.md, section `crates/{dir}`.",
        name = krate.name,
        manifest = krate.dir.join("Cargo.toml").display(),
        dir = krate.dir.file_name().unwrap().to_string_lossy(),
    );
}

#[test]
fn muscle_depends_only_on_scalar_and_thiserror() {
    let crates = crates();
    let muscle = &crates[find(&crates, "motornet-muscle")];
    assert_only_dependencies(
        muscle,
        &["motornet-scalar", "thiserror"],
        "A muscle model sees only its own state, its excitation and its musculotendon length \
         and velocity: it must not know skeletons, effectors or tensor libraries.",
    );
}

#[test]
fn skeleton_depends_only_on_scalar_and_thiserror() {
    let crates = crates();
    let skeleton = &crates[find(&crates, "motornet-skeleton")];
    assert_only_dependencies(
        skeleton,
        &["motornet-scalar", "thiserror"],
        "A skeleton takes generalized forces: it must not know muscles, effectors or tensor \
         libraries.",
    );
}

#[test]
fn scalar_is_the_bottom_of_the_graph() {
    let crates = crates();
    let scalar = &crates[find(&crates, "motornet-scalar")];
    assert_only_dependencies(
        scalar,
        &["num-dual"],
        "Every other crate builds on the scalar trait, so it depends on no workspace crate.",
    );
}

#[test]
fn policy_dfdx_depends_only_on_policy_dfdx_and_rand() {
    let crates = crates();
    let krate = &crates[find(&crates, "motornet-policy-dfdx")];
    assert_only_dependencies(
        krate,
        &["motornet-policy", "dfdx", "rand"],
        "Networks with automatic gradients are networks: they implement motornet-policy's \
         `Policy` with dfdx and know nothing of effectors, tasks or training.",
    );
}

#[test]
fn analysis_depends_only_on_nalgebra_and_thiserror() {
    let crates = crates();
    let krate = &crates[find(&crates, "motornet-analysis")];
    assert_only_dependencies(
        krate,
        &["nalgebra", "thiserror"],
        "The analyses work on plain slices of recorded activity, from motornet or anywhere \
         else: they must not know effectors, tasks, training or tensor libraries.",
    );
}

#[test]
fn mjcf_depends_only_on_roxmltree_and_thiserror() {
    let crates = crates();
    let krate = &crates[find(&crates, "motornet-mjcf")];
    assert_only_dependencies(
        krate,
        &["roxmltree", "thiserror"],
        "The MJCF reader gives MuJoCo's model in its own types; turning it into an effector is \
         the importer's job, so it knows no motornet crate.",
    );
}

#[test]
fn only_the_bridge_training_and_autodiff_network_crates_depend_on_dfdx() {
    let mut offenders = Vec::new();
    for krate in crates() {
        if DFDX_ALLOWED.contains(&krate.name.as_str()) {
            continue;
        }
        if dependencies(&krate.manifest, Kinds::All).contains("dfdx") {
            offenders.push(format!(
                "{} ({})",
                krate.name,
                krate.dir.join("Cargo.toml").display()
            ));
        }
    }
    assert!(
        offenders.is_empty(),
        "{offenders:?} depend on dfdx; only {DFDX_ALLOWED:?} may. Physics (scalar, muscle, \
         skeleton, effector), tasks and the hand-written networks are plain Rust; dfdx enters \
         at the fused ops (motornet-dfdx, motornet-train) and in the networks with automatic \
         gradients (motornet-policy-dfdx). See ARCHITECTURE.md."
    );
}

#[test]
fn facade_lib_only_re_exports() {
    let path = workspace_root().join("crates/motornet/src/lib.rs");
    let text = read(&path);
    // Drop comments (doc comments included: their examples may define functions) and
    // attributes; what remains must be `pub use …;` statements.
    let mut code = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") || line.starts_with("#!") {
            continue;
        }
        assert!(
            !line.contains("/*"),
            "{}:{}: block comments are not expected in the facade's lib.rs",
            path.display(),
            i + 1
        );
        if line.starts_with("#[") {
            continue;
        }
        code.push_str(line.split("//").next().unwrap_or(""));
        code.push(' ');
    }
    let words: Vec<&str> = code
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .collect();
    assert!(
        !words.contains(&"fn"),
        "{} defines a function: the facade crate only re-exports the layer crates; move the \
         code into the crate it belongs to (see ARCHITECTURE.md, `crates/motornet`)",
        path.display()
    );
    for statement in code.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        assert!(
            statement.starts_with("pub use "),
            "{}: `{statement}` is not a re-export: the facade's lib.rs holds only `pub use` \
             items (see ARCHITECTURE.md, `crates/motornet`)",
            path.display()
        );
    }
}

/// The parser above, on the forms it claims to understand.
#[test]
fn manifest_reader_understands_the_forms_used() {
    let manifest = r#"
[package]
name = "x" # a comment

[dependencies]
motornet-scalar.workspace = true
thiserror = "2"
tensor = { package = "dfdx", version = "0.13" }

[dependencies.serde]
version = "1"

[dependencies.nd]
package = "ndarray"

[dev-dependencies]
proptest.workspace = true

[target.'cfg(unix)'.dependencies]
libc = "0.2"

[target.x86_64-pc-windows-msvc.build-dependencies]
cc = "1"

[[bin]]
name = "not-a-dependency"
"#;
    assert_eq!(package_name(manifest).as_deref(), Some("x"));
    let normal = dependencies(manifest, Kinds::Normal);
    let expected = [
        "dfdx",
        "libc",
        "motornet-scalar",
        "ndarray",
        "serde",
        "thiserror",
    ];
    assert_eq!(
        normal,
        expected
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
    let all = dependencies(manifest, Kinds::All);
    assert!(all.contains("proptest") && all.contains("cc") && all.is_superset(&normal));
    assert!(!all.contains("not-a-dependency"));
}

/// The same invariants on the *resolved* dependency graph from `cargo metadata`: what a crate
/// pulls in transitively through normal (non-dev) dependencies.
#[test]
fn resolved_normal_dependencies_respect_the_layering() {
    use std::collections::{BTreeMap, BTreeSet};
    // this machine's target: the resolve is read for it alone, so that `--offline` needs no
    // other platform's packages (ctrlc pulls macOS- and Windows-only crates)
    let rustc = std::process::Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()))
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host");
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
            &host,
            "--manifest-path",
        ])
        .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // package id -> name, and id -> normal dependency ids
    let names: BTreeMap<String, String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut normal: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for node in meta["resolve"]["nodes"].as_array().unwrap() {
        let deps = node["deps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| d["pkg"].as_str().unwrap().to_string())
            .collect();
        normal.insert(node["id"].as_str().unwrap().to_string(), deps);
    }
    let closure = |crate_name: &str| -> BTreeSet<String> {
        let start = names
            .iter()
            .find(|(_, n)| *n == crate_name)
            .map(|(id, _)| id.clone())
            .unwrap();
        let mut seen = BTreeSet::new();
        let mut stack = vec![start];
        while let Some(id) = stack.pop() {
            for d in normal.get(&id).into_iter().flatten() {
                if seen.insert(names[d].clone()) {
                    stack.push(d.clone());
                }
            }
        }
        seen
    };
    let forbidden: [(&str, &[&str]); 7] = [
        (
            "motornet-scalar",
            &[
                "motornet-muscle",
                "motornet-skeleton",
                "motornet-effector",
                "dfdx",
            ],
        ),
        (
            "motornet-muscle",
            &["motornet-skeleton", "motornet-effector", "dfdx"],
        ),
        (
            "motornet-skeleton",
            &["motornet-muscle", "motornet-effector", "dfdx"],
        ),
        ("motornet-effector", &["dfdx", "motornet-dfdx"]),
        // tasks reach training through fused ops, like the effector
        (
            "motornet-task",
            &["dfdx", "motornet-dfdx", "motornet-policy", "motornet-train"],
        ),
        // the networks are plain math: no physics, no tensor library
        (
            "motornet-policy",
            &[
                "dfdx",
                "motornet-effector",
                "motornet-task",
                "motornet-skeleton",
                "motornet-muscle",
            ],
        ),
        // networks with automatic gradients: dfdx, but no physics, tasks or training
        (
            "motornet-policy-dfdx",
            &[
                "motornet-effector",
                "motornet-task",
                "motornet-train",
                "motornet-dfdx",
                "motornet-skeleton",
                "motornet-muscle",
                "motornet-scalar",
            ],
        ),
    ];
    for (krate, never) in forbidden {
        let deps = closure(krate);
        for n in never {
            assert!(
                !deps.contains(*n),
                "{krate} depends (transitively) on {n}: {deps:?}"
            );
        }
    }
    // and the bridges really are where dfdx comes in
    assert!(closure("motornet-dfdx").contains("dfdx"));
    assert!(closure("motornet-train").contains("dfdx"));
    assert!(closure("motornet-policy-dfdx").contains("dfdx"));
}

/// The program's dependencies a library user can turn off: clap, indicatif, ctrlc (feature
/// `cli`) and the plots (feature `plot`: motornet-plot, which brings plotters).
const FACADE_OPTIONAL: &[&str] = &["clap", "indicatif", "ctrlc", "motornet-plot"];

/// The `[dependencies]` entries of `manifest` (by the name written, renames not followed) that
/// are `optional = true`, and all of its `[dependencies]` names.
fn optional_dependencies(manifest: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut optional, mut all) = (BTreeSet::new(), BTreeSet::new());
    let mut in_deps = false;
    for line in manifest.lines().map(strip_comment) {
        if let Some(header) = table_header(line) {
            in_deps = header == "dependencies";
            continue;
        }
        if !in_deps {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let name = key.split('.').next().unwrap_or("").trim().to_string();
        let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("optional=true") {
            optional.insert(name.clone());
        }
        all.insert(name);
    }
    (optional, all)
}

/// The facade's `[features]` table: feature name -> its list, as written.
fn features(manifest: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut in_features = false;
    for line in manifest.lines().map(strip_comment) {
        if let Some(header) = table_header(line) {
            in_features = header == "features";
        } else if in_features {
            if let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    out
}

#[test]
fn facade_program_dependencies_are_optional_features() {
    let crates = crates();
    let facade = &crates[find(&crates, "motornet")];
    let (optional, all) = optional_dependencies(&facade.manifest);
    for dep in FACADE_OPTIONAL {
        assert!(
            optional.contains(*dep) || !all.contains(*dep),
            "the facade ({}) depends on {dep} without `optional = true`: a library user could \
             not turn it off (features `cli` and `plot`; see ARCHITECTURE.md, \
             `crates/motornet`)",
            facade.dir.join("Cargo.toml").display()
        );
    }
    assert!(
        !all.contains("plotters"),
        "the facade depends on plotters directly; plots go through motornet-plot (feature `plot`)"
    );
    let features = features(&facade.manifest);
    let feature = |name: &str| {
        features
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("the facade has no feature `{name}`: {features:?}"))
    };
    let default = feature("default");
    assert!(
        default.contains("\"cli\"") && default.contains("\"plot\""),
        "`cargo run -p motornet -- train` needs `cli` and `plot` on by default: {default}"
    );
    let cli = feature("cli");
    for dep in ["clap", "indicatif", "ctrlc"] {
        assert!(
            cli.contains(&format!("\"dep:{dep}\"")),
            "feature `cli` lacks dep:{dep}: {cli}"
        );
    }
    assert!(feature("plot").contains("\"dep:motornet-plot\""));
    // the program needs its dependencies: it is built only with `cli`
    let bin = facade
        .manifest
        .split("[[bin]]")
        .nth(1)
        .expect("the facade has a [[bin]] target")
        .split("\n[")
        .next()
        .unwrap();
    assert!(
        bin.contains("required-features = [\"cli\"]"),
        "the motornet [[bin]] must have required-features = [\"cli\"]: {bin}"
    );
}

/// What `cargo build -p motornet --no-default-features` compiles, from the resolved graph:
/// the layers, and none of the program's dependencies.
#[test]
fn facade_without_default_features_compiles_no_program_dependency() {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-p",
            "motornet",
            "--no-default-features",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-f",
            "{p}",
            "--manifest-path",
        ])
        .arg(workspace_root().join("Cargo.toml"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let names: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        names.contains("motornet-train") && names.contains("motornet-effector"),
        "cargo tree output not understood: {text}"
    );
    for dep in ["clap", "indicatif", "ctrlc", "plotters", "motornet-plot"] {
        assert!(
            !names.contains(dep),
            "`cargo build -p motornet --no-default-features` would compile {dep}: {names:?}"
        );
    }
}

/// The plots are a leaf beside the facade: no layer crate depends on them, and plotters comes
/// in only through motornet-plot.
#[test]
fn only_the_facade_depends_on_the_plots() {
    for krate in crates() {
        let deps = dependencies(&krate.manifest, Kinds::All);
        if krate.name != "motornet" {
            assert!(
                !deps.contains("motornet-plot"),
                "{} depends on motornet-plot; only the facade may (see ARCHITECTURE.md)",
                krate.name
            );
        }
        if krate.name != "motornet-plot" {
            assert!(
                !deps.contains("plotters"),
                "{} depends on plotters; plots go through motornet-plot",
                krate.name
            );
        }
    }
}

/// Issue 17: the Python bindings sit on top. Only motornet-python depends on PyO3 and
/// rust-numpy, no crate depends on motornet-python, and it reaches physics, tasks and training
/// through the library crates (no dfdx, no plots, no facade with its program).
#[test]
fn only_the_python_crate_depends_on_pyo3_and_nothing_on_it() {
    let all = crates();
    for krate in &all {
        let deps = dependencies(&krate.manifest, Kinds::All);
        if krate.name != "motornet-python" {
            for forbidden in ["pyo3", "numpy", "motornet-python"] {
                assert!(
                    !deps.contains(forbidden),
                    "{} depends on {forbidden}; only motornet-python (crates/python) may use \
                     PyO3 and numpy, and nothing depends on it (see ARCHITECTURE.md, \
                     `crates/python`)",
                    krate.name
                );
            }
        }
    }
    let python = &all[find(&all, "motornet-python")];
    assert_only_dependencies(
        python,
        &[
            "motornet-effector",
            "motornet-muscle",
            "motornet-task",
            "motornet-train",
            "motornet-analysis",
            "pyo3",
            "numpy",
            "serde_json",
        ],
        "The Python package wraps the library crates' public API and computes nothing itself.",
    );
}
