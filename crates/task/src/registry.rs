//! What the registries of built-ins ([`TaskConfig`](crate::TaskConfig),
//! [`LossConfig`](crate::loss::LossConfig), and motornet-train's `NetworkKind`) know about each
//! entry: its name, a one-line description and its parameters.
//!
//! Each registry is ONE list, one line per built-in (`registry!`-style macro invocations in
//! `task.rs`, `loss.rs` and motornet-train's `policy.rs`); the line gives the config/CLI name and
//! the type, and the type's own file gives the rest through the layer's `Builtin*` trait. The
//! serde enum, the name tables, the CLI's accepted values, the build dispatch and the generated
//! docs all follow from that list.

/// One parameter of a built-in, as config files spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The field name in config files.
    pub name: &'static str,
    /// What it is, with its unit.
    pub doc: &'static str,
}

/// What a registry says about one built-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Description {
    /// The name in config files and on the command line.
    pub name: &'static str,
    /// One line saying what it is.
    pub doc: &'static str,
    /// Its parameters, in the order of its config's fields (without the tag field).
    pub params: &'static [Param],
}

/// A registered built-in's name. Implemented by the registration line itself (never by hand),
/// so that the name is written once; the built-in's own code reads it as `Self::NAME`.
pub trait Registered {
    /// The name in config files and on the command line.
    const NAME: &'static str;
}
