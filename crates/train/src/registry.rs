//! The built-in networks, tasks and losses as documentation: [`markdown`] renders what their
//! registries say (name, one-line doc, parameters, defaults) as the reference section of
//! `docs/training.md`, which a test keeps equal to it (`UPDATE_DOCS=1` rewrites it).
//!
//! Defaults are not written down twice: the `--task` value of a parameter is read from the
//! task's [`BuiltinTask::defaults`](motornet_task::BuiltinTask::defaults), and its value when
//! left out of a config file is found by parsing the config without it.

use crate::config::NetworkKind;
use motornet_task::loss::LossConfig;
use motornet_task::registry::Description;
use motornet_task::TaskConfig;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::fmt::Write;

/// The comment line that opens the generated section in the docs.
pub const BEGIN: &str = "<!-- begin generated: built-ins (cargo test -p motornet-train --test registry; UPDATE_DOCS=1 rewrites it) -->";
/// The comment line that closes the generated section in the docs.
pub const END: &str = "<!-- end generated: built-ins -->";

/// `text` for a markdown table cell (`|` escaped, no line breaks).
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// A JSON value as inline code for a table cell.
fn code(v: &Value) -> String {
    cell(&format!("`{v}`"))
}

/// The config's fields after the tag `tag`.
fn fields(config: &impl serde::Serialize, tag: &str) -> Map<String, Value> {
    let Ok(Value::Object(mut map)) = serde_json::to_value(config) else {
        unreachable!("built-in configs serialise to JSON objects")
    };
    map.remove(tag);
    map
}

/// What field `name` of `config` (a tagged JSON object) becomes when left out of a config
/// file: `None` if it is required.
fn when_left_out<C: DeserializeOwned + serde::Serialize>(
    config: &Map<String, Value>,
    name: &str,
    tag: &str,
) -> Option<Value> {
    let mut without = config.clone();
    without.remove(name)?;
    let parsed: C = serde_json::from_value(Value::Object(without)).ok()?;
    fields(&parsed, tag).remove(name)
}

fn heading(out: &mut String, d: &Description) {
    let _ = write!(out, "#### `{}`\n\n{}\n\n", d.name, d.doc);
}

fn tasks(out: &mut String) {
    out.push_str(
        "### Tasks\n\n`task = { name = \"NAME\", ... }` in a config; `--task NAME` (and \
         `motornet eval --task NAME`) uses the values in the `--task` column.\n\n",
    );
    for d in TaskConfig::DESCRIPTIONS {
        heading(out, &d);
        let config = TaskConfig::default_for(d.name).expect("registered names have defaults");
        let values = fields(&config, "name");
        if d.params.is_empty() {
            out.push_str("No parameters.\n\n");
            continue;
        }
        out.push_str("| parameter | meaning | `--task` value | left out of a config |\n");
        out.push_str("|---|---|---|---|\n");
        let mut tagged = values.clone();
        tagged.insert("name".into(), Value::String(d.name.into()));
        for p in d.params {
            let value = values.get(p.name).map_or("?".into(), code);
            let absent = when_left_out::<TaskConfig>(&tagged, p.name, "name")
                .map_or("required".into(), |v| code(&v));
            let _ = writeln!(
                out,
                "| `{}` | {} | {value} | {absent} |",
                p.name,
                cell(p.doc)
            );
        }
        out.push('\n');
    }
}

fn losses(out: &mut String) {
    out.push_str(
        "### Losses\n\n`losses = [{ kind = \"NAME\", weight = w, ... }, ...]` in a config: the \
         training loss is the weighted sum of the terms.\n\n",
    );
    for (d, example) in LossConfig::DESCRIPTIONS.iter().zip(LossConfig::examples()) {
        heading(out, d);
        let values = fields(&example, "kind");
        let mut tagged = values.clone();
        tagged.insert("kind".into(), Value::String(d.name.into()));
        out.push_str("| parameter | meaning | left out of a config |\n|---|---|---|\n");
        for p in d.params {
            let absent = when_left_out::<LossConfig>(&tagged, p.name, "kind")
                .map_or("required".into(), |v| code(&v));
            let _ = writeln!(out, "| `{}` | {} | {absent} |", p.name, cell(p.doc));
        }
        let json = serde_json::to_string(&example).expect("loss configs serialise");
        let _ = write!(out, "\nExample: `{json}`\n\n");
    }
}

fn networks(out: &mut String) {
    out.push_str(
        "### Networks\n\n`[network] kind = \"NAME\"` in a config, `--network NAME` on the \
         command line; every network takes `hidden` (units per layer, `--hidden`) and `layers` \
         (`--layers`).\n\n| name | network |\n|---|---|\n",
    );
    for d in NetworkKind::DESCRIPTIONS {
        let _ = writeln!(out, "| `{}` | {} |", d.name, cell(d.doc));
    }
    out.push('\n');
}

/// The reference of the built-in networks, tasks and losses, in markdown (level-3 headings),
/// from their registries: the text between [`BEGIN`] and [`END`] in `docs/training.md`.
pub fn markdown() -> String {
    let mut out = String::new();
    networks(&mut out);
    tasks(&mut out);
    losses(&mut out);
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}
