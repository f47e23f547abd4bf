//! The reader: XML tree → [`MjcfModel`], applying MuJoCo's defaults and conventions and
//! rejecting everything outside the subset with the line it is on.

use std::collections::HashMap;

use roxmltree::{Document, Node};

use crate::error::{ErrorKind, MjcfError};
use crate::model::*;
use crate::rot;

type N<'a> = Node<'a, 'a>;
type Result<T> = std::result::Result<T, MjcfError>;

/// Orientation attributes (at most one per element).
const ORIENTATION: &[&str] = &["quat", "euler", "axisangle", "xyaxes", "zaxis"];

// Attribute lists: `*_DEFAULT` may appear both in a default class and on the element,
// `*_ELEMENT` only on the element, `*_IGNORED` are accepted anywhere and have no effect on the
// subset's dynamics (visual, or contact/constraint-related while both are disabled).
const JOINT_DEFAULT: &[&str] = &[
    "type",
    "pos",
    "axis",
    "damping",
    "armature",
    "range",
    "limited",
    "ref",
    "stiffness",
    "springref",
    "frictionloss",
];
const JOINT_ELEMENT: &[&str] = &["name", "class"];
const JOINT_IGNORED: &[&str] = &[
    "group",
    "margin",
    "solreflimit",
    "solimplimit",
    "solreffriction",
    "solimpfriction",
];
const GEOM_DEFAULT: &[&str] = &["type", "size", "mass", "density"];
const GEOM_ELEMENT: &[&str] = &[
    "name",
    "class",
    "fromto",
    "pos",
    "quat",
    "euler",
    "axisangle",
    "xyaxes",
    "zaxis",
];
const GEOM_IGNORED: &[&str] = &[
    "rgba",
    "group",
    "contype",
    "conaffinity",
    "condim",
    "friction",
    "material",
    "priority",
    "margin",
    "gap",
    "solref",
    "solimp",
    "solmix",
];
const SITE_DEFAULT: &[&str] = &["pos"];
const SITE_ELEMENT: &[&str] = &[
    "name",
    "class",
    "quat",
    "euler",
    "axisangle",
    "xyaxes",
    "zaxis",
];
const SITE_IGNORED: &[&str] = &["size", "type", "rgba", "group", "material"];
const TENDON_DEFAULT: &[&str] = &["stiffness", "damping", "frictionloss", "armature"];
const TENDON_ELEMENT: &[&str] = &["name", "class"];
const TENDON_IGNORED: &[&str] = &[
    "rgba",
    "width",
    "material",
    "group",
    "limited",
    "range",
    "margin",
    "solreflimit",
    "solimplimit",
    "solreffriction",
    "solimpfriction",
];
const MUSCLE_DEFAULT: &[&str] = &[
    "force",
    "range",
    "lmin",
    "lmax",
    "vmax",
    "fpmax",
    "fvmax",
    "timeconst",
    "ctrlrange",
    "ctrllimited",
    "scale",
    "gear",
];
/// `lengthrange` and `tausmooth` are not default attributes in MuJoCo's schema.
const MUSCLE_ELEMENT: &[&str] = &["name", "class", "tendon", "lengthrange", "tausmooth"];
const MUSCLE_IGNORED: &[&str] = &["group"];
/// Transmissions other than a tendon.
const MUSCLE_TRANSMISSIONS: &[&str] = &[
    "joint",
    "jointinparent",
    "site",
    "body",
    "cranksite",
    "slidersite",
];
/// Elements accepted and skipped whole: rendering only.
const TOP_IGNORED: &[&str] = &["visual", "statistic"];
const BODY_IGNORED: &[&str] = &["camera", "light"];

/// The element kinds a default class holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum DefKind {
    Joint,
    Geom,
    Site,
    Tendon,
    Muscle,
}

impl DefKind {
    fn from_tag(tag: &str) -> Option<Self> {
        Some(match tag {
            "joint" => Self::Joint,
            "geom" => Self::Geom,
            "site" => Self::Site,
            "tendon" => Self::Tendon,
            "muscle" => Self::Muscle,
            _ => return None,
        })
    }
    fn slot(self) -> usize {
        self as usize
    }
    fn default_attrs(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Self::Joint => (JOINT_DEFAULT, JOINT_IGNORED),
            Self::Geom => (GEOM_DEFAULT, GEOM_IGNORED),
            Self::Site => (SITE_DEFAULT, SITE_IGNORED),
            Self::Tendon => (TENDON_DEFAULT, TENDON_IGNORED),
            Self::Muscle => (MUSCLE_DEFAULT, MUSCLE_IGNORED),
        }
    }
}

/// A default class: its parent class and the element of each kind it holds.
struct Class<'a> {
    parent: Option<String>,
    elements: [Option<N<'a>>; 5],
}

/// The nodes an element's attributes come from, main class first, the element itself last: the
/// last one that has an attribute gives its value (MuJoCo's inheritance: a class copies its
/// parent's values, then overrides those it sets).
struct Layers<'a> {
    nodes: Vec<N<'a>>,
}

impl<'a> Layers<'a> {
    fn get(&self, attr: &str) -> Option<(N<'a>, &'a str)> {
        self.nodes
            .iter()
            .rev()
            .find_map(|n| n.attribute(attr).map(|v| (*n, v)))
    }
}

/// Per-type name tables, for duplicate checks and references.
#[derive(Default)]
struct Names {
    bodies: HashMap<String, usize>,
    joints: HashMap<String, usize>,
    geoms: HashMap<String, usize>,
    sites: HashMap<String, usize>,
    tendons: HashMap<String, usize>,
    muscles: HashMap<String, usize>,
}

pub(crate) struct Reader<'a> {
    origin: String,
    doc: &'a Document<'a>,
    angle_deg: bool,
    /// Axis (0..3) and whether the rotation is about the moving (intrinsic) axis.
    eulerseq: [(usize, bool); 3],
    autolimits: bool,
    inertia_from_geom: InertiaFromGeom,
    classes: HashMap<String, Class<'a>>,
    names: Names,
    bodies: Vec<Body>,
    joints: Vec<Joint>,
    geoms: Vec<Geom>,
    sites: Vec<Site>,
    tendons: Vec<SpatialTendon>,
    muscles: Vec<Muscle>,
}

fn tag(node: N) -> String {
    format!("<{}>", node.tag_name().name())
}

impl<'a> Reader<'a> {
    pub(crate) fn new(doc: &'a Document<'a>, origin: &str) -> Self {
        Reader {
            origin: origin.to_string(),
            doc,
            angle_deg: true,
            eulerseq: [(0, true), (1, true), (2, true)],
            autolimits: true,
            inertia_from_geom: InertiaFromGeom::Auto,
            classes: HashMap::new(),
            names: Names::default(),
            bodies: Vec::new(),
            joints: Vec::new(),
            geoms: Vec::new(),
            sites: Vec::new(),
            tendons: Vec::new(),
            muscles: Vec::new(),
        }
    }

    // ---------------------------------------------------------------- errors and positions

    fn line_at(&self, pos: usize) -> u32 {
        self.doc.text_pos_at(pos).row
    }

    fn node_line(&self, node: N) -> u32 {
        self.line_at(node.range().start)
    }

    fn err(&self, node: N, kind: ErrorKind, message: String) -> MjcfError {
        MjcfError {
            file: self.origin.clone(),
            line: self.node_line(node),
            kind,
            message,
        }
    }

    /// An error about attribute `attr` of `node`, at the attribute's line.
    fn err_attr(&self, node: N, attr: &str, kind: ErrorKind, what: &str) -> MjcfError {
        let line = node
            .attribute_node(attr)
            .map(|a| self.line_at(a.range().start))
            .unwrap_or_else(|| self.node_line(node));
        MjcfError {
            file: self.origin.clone(),
            line,
            kind,
            message: format!("{} attribute \"{attr}\": {what}", tag(node)),
        }
    }

    fn unknown_element(&self, node: N, parent: N) -> MjcfError {
        self.err(
            node,
            ErrorKind::UnknownElement,
            format!(
                "element {} (inside {}) is not in the supported MJCF subset (docs/mjcf.md lists it)",
                tag(node),
                tag(parent)
            ),
        )
    }

    /// Rejects attributes outside `allowed` and `ignored`.
    fn check_attrs(&self, node: N, lists: &[&[&str]]) -> Result<()> {
        for a in node.attributes() {
            let known = a.namespace().is_none() && lists.iter().any(|l| l.contains(&a.name()));
            if !known {
                return Err(self.err_attr(
                    node,
                    a.name(),
                    ErrorKind::UnknownAttribute,
                    "not in the supported MJCF subset (docs/mjcf.md lists it)",
                ));
            }
        }
        Ok(())
    }

    /// The element children of `node`; non-blank text is an error.
    fn elements(&self, node: N<'a>) -> Result<Vec<N<'a>>> {
        let mut out = Vec::new();
        for c in node.children() {
            if c.is_element() {
                out.push(c);
            } else if c.is_text() && !c.text().unwrap_or("").trim().is_empty() {
                return Err(self.err(
                    c,
                    ErrorKind::Invalid,
                    format!("unexpected text inside {}", tag(node)),
                ));
            }
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- values

    fn numbers(&self, node: N, attr: &str, value: &str) -> Result<Vec<f64>> {
        value
            .split_whitespace()
            .map(|t| match t.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                _ => Err(self.err_attr(
                    node,
                    attr,
                    ErrorKind::BadValue,
                    &format!("\"{t}\" is not a finite number"),
                )),
            })
            .collect()
    }

    fn fixed<const K: usize>(&self, node: N, attr: &str, value: &str) -> Result<[f64; K]> {
        let v = self.numbers(node, attr, value)?;
        <[f64; K]>::try_from(v.as_slice()).map_err(|_| {
            self.err_attr(
                node,
                attr,
                ErrorKind::BadValue,
                &format!("expects {K} number(s), got {} (\"{value}\")", v.len()),
            )
        })
    }

    fn opt_arr<const K: usize>(&self, l: &Layers<'a>, attr: &str) -> Result<Option<[f64; K]>> {
        match l.get(attr) {
            Some((n, v)) => self.fixed::<K>(n, attr, v).map(Some),
            None => Ok(None),
        }
    }

    fn arr<const K: usize>(
        &self,
        l: &Layers<'a>,
        attr: &str,
        default: [f64; K],
    ) -> Result<[f64; K]> {
        Ok(self.opt_arr(l, attr)?.unwrap_or(default))
    }

    fn opt_real(&self, l: &Layers<'a>, attr: &str) -> Result<Option<f64>> {
        Ok(self.opt_arr::<1>(l, attr)?.map(|[x]| x))
    }

    fn real(&self, l: &Layers<'a>, attr: &str, default: f64) -> Result<f64> {
        Ok(self.opt_real(l, attr)?.unwrap_or(default))
    }

    /// A real that must satisfy `ok` (described by `rule`, e.g. "≥ 0").
    fn real_checked(
        &self,
        l: &Layers<'a>,
        attr: &str,
        default: f64,
        ok: impl Fn(f64) -> bool,
        rule: &str,
    ) -> Result<f64> {
        let x = self.real(l, attr, default)?;
        if !ok(x) {
            let (n, _) = l.get(attr).expect("a default value satisfies its rule");
            return Err(self.err_attr(
                n,
                attr,
                ErrorKind::BadValue,
                &format!("must be {rule}, got {x}"),
            ));
        }
        Ok(x)
    }

    /// An attribute that the subset supports only at its neutral value 0.
    fn zero_only(&self, l: &Layers<'a>, attr: &str, why: &str) -> Result<()> {
        if let Some((n, v)) = l.get(attr) {
            let [x] = self.fixed::<1>(n, attr, v)?;
            if x != 0.0 {
                return Err(self.err_attr(
                    n,
                    attr,
                    ErrorKind::Unsupported,
                    &format!("{x} ≠ 0 is not supported ({why}); only 0 is"),
                ));
            }
        }
        Ok(())
    }

    fn keyword(&self, node: N, attr: &str, value: &'a str, allowed: &[&str]) -> Result<&'a str> {
        if allowed.contains(&value) {
            Ok(value)
        } else {
            Err(self.err_attr(
                node,
                attr,
                ErrorKind::BadValue,
                &format!("\"{value}\" is not one of {allowed:?}"),
            ))
        }
    }

    fn angle(&self, x: f64) -> f64 {
        if self.angle_deg {
            x.to_radians()
        } else {
            x
        }
    }

    /// `limited` / `ctrllimited` resolved as MuJoCo does, with the range it goes with.
    fn limited(
        &self,
        l: &Layers<'a>,
        attr: &str,
        range_attr: &str,
        range: [f64; 2],
    ) -> Result<bool> {
        let mode = match l.get(attr) {
            Some((n, v)) => self.keyword(n, attr, v, &["auto", "true", "false"])?,
            None => "auto",
        };
        match mode {
            "true" => {
                if range[0] < range[1] {
                    Ok(true)
                } else {
                    let (n, _) = l.get(attr).expect("given");
                    Err(self.err_attr(
                        n,
                        attr,
                        ErrorKind::BadValue,
                        &format!(
                            "limited with \"{range_attr}\" {range:?}: needs {range_attr}[0] < {range_attr}[1]"
                        ),
                    ))
                }
            }
            "false" => Ok(false),
            _ if self.autolimits => Ok(range[0] < range[1]),
            _ => match l.get(range_attr) {
                Some((n, _)) => Err(self.err_attr(
                    n,
                    range_attr,
                    ErrorKind::Invalid,
                    &format!(
                        "given without \"{attr}\" while <compiler autolimits=\"false\">: set {attr} explicitly"
                    ),
                )),
                None => Ok(false),
            },
        }
    }

    /// The element's orientation (at most one of the five forms; identity when none).
    fn orientation(&self, node: N) -> Result<Quat> {
        let given: Vec<&str> = ORIENTATION
            .iter()
            .copied()
            .filter(|a| node.has_attribute(*a))
            .collect();
        if given.len() > 1 {
            return Err(self.err(
                node,
                ErrorKind::Invalid,
                format!(
                    "{}: more than one orientation ({}); give at most one",
                    tag(node),
                    given.join(", ")
                ),
            ));
        }
        let Some(&attr) = given.first() else {
            return Ok(rot::IDENTITY);
        };
        let value = node.attribute(attr).expect("present");
        let zero = |what: &str| self.err_attr(node, attr, ErrorKind::BadValue, what);
        match attr {
            "quat" => {
                let q = self.fixed::<4>(node, attr, value)?;
                if rot::norm3([q[1], q[2], q[3]]).hypot(q[0]) < 1e-14 {
                    return Err(zero("zero quaternion"));
                }
                Ok(rot::normalized(q))
            }
            "axisangle" => {
                let a = self.fixed::<4>(node, attr, value)?;
                let axis = [a[0], a[1], a[2]];
                let n = rot::norm3(axis);
                if n < 1e-14 {
                    return Err(zero("zero rotation axis"));
                }
                Ok(rot::axis_angle(
                    rot::scale3(axis, 1.0 / n),
                    self.angle(a[3]),
                ))
            }
            "euler" => {
                let e = self.fixed::<3>(node, attr, value)?;
                let mut q = rot::IDENTITY;
                for (i, &(axis, intrinsic)) in self.eulerseq.iter().enumerate() {
                    let mut u = [0.0; 3];
                    u[axis] = 1.0;
                    let r = rot::axis_angle(u, self.angle(e[i]));
                    q = if intrinsic {
                        rot::mul(q, r)
                    } else {
                        rot::mul(r, q)
                    };
                }
                Ok(rot::normalized(q))
            }
            "xyaxes" => {
                let a = self.fixed::<6>(node, attr, value)?;
                rot::from_xy_axes([a[0], a[1], a[2]], [a[3], a[4], a[5]])
                    .ok_or_else(|| zero("x is zero or y is parallel to x"))
            }
            _ => {
                let z = self.fixed::<3>(node, attr, value)?;
                rot::z_to(z).ok_or_else(|| zero("zero axis"))
            }
        }
    }

    fn name(&self, node: N<'a>) -> Option<String> {
        node.attribute("name").map(str::to_string)
    }

    /// Registers `name` in `table` (a per-type name table) with index `index`.
    fn register(
        &self,
        node: N,
        table: fn(&mut Names) -> &mut HashMap<String, usize>,
        what: &str,
        index: usize,
        names: &mut Names,
    ) -> Result<()> {
        if let Some(name) = node.attribute("name") {
            if table(names).insert(name.to_string(), index).is_some() {
                return Err(self.err_attr(
                    node,
                    "name",
                    ErrorKind::DuplicateName,
                    &format!("another {what} is already named \"{name}\""),
                ));
            }
        }
        Ok(())
    }

    fn register_name(
        &mut self,
        node: N,
        table: fn(&mut Names) -> &mut HashMap<String, usize>,
        what: &str,
        index: usize,
    ) -> Result<()> {
        let mut names = std::mem::take(&mut self.names);
        let r = self.register(node, table, what, index, &mut names);
        self.names = names;
        r
    }

    // ---------------------------------------------------------------- defaults

    /// The layers of an element of kind `kind` in class `class` (which must exist, or be "main"
    /// when no defaults were given), the element last.
    fn layers(&self, class: &str, kind: DefKind, element: N<'a>) -> Layers<'a> {
        let mut nodes = vec![element];
        let mut c = Some(class.to_string());
        while let Some(name) = c {
            let Some(class) = self.classes.get(&name) else {
                break;
            };
            if let Some(n) = class.elements[kind.slot()] {
                nodes.push(n);
            }
            c = class.parent.clone();
        }
        nodes.reverse();
        Layers { nodes }
    }

    /// The class an element uses: its `class`, else the inherited `childclass`, else "main".
    fn class_of(&self, node: N, childclass: Option<&str>) -> Result<String> {
        match node.attribute("class") {
            Some(c) => {
                self.check_class(node, "class", c)?;
                Ok(c.to_string())
            }
            None => Ok(childclass.unwrap_or("main").to_string()),
        }
    }

    fn check_class(&self, node: N, attr: &str, class: &str) -> Result<()> {
        if self.classes.contains_key(class) {
            Ok(())
        } else {
            Err(self.err_attr(
                node,
                attr,
                ErrorKind::MissingReference,
                &format!("no default class named \"{class}\""),
            ))
        }
    }

    fn read_default(&mut self, node: N<'a>, parent: Option<String>) -> Result<()> {
        self.check_attrs(node, &[&["class"]])?;
        let name = match (&parent, node.attribute("class")) {
            (None, None | Some("main")) => "main".to_string(),
            (None, Some(_)) => {
                return Err(self.err_attr(
                    node,
                    "class",
                    ErrorKind::Invalid,
                    "the top-level default class is \"main\" and cannot be renamed",
                ))
            }
            (Some(_), Some(c)) => c.to_string(),
            (Some(_), None) => {
                return Err(self.err(
                    node,
                    ErrorKind::MissingAttribute,
                    "nested <default> needs a \"class\" attribute".to_string(),
                ))
            }
        };
        if self.classes.contains_key(&name) {
            return Err(self.err_attr(
                node,
                "class",
                ErrorKind::DuplicateName,
                &format!("default class \"{name}\" is defined twice"),
            ));
        }
        let mut elements: [Option<N<'a>>; 5] = [None; 5];
        let mut nested = Vec::new();
        for c in self.elements(node)? {
            let t = c.tag_name().name();
            if let Some(kind) = DefKind::from_tag(t) {
                let (allowed, ignored) = kind.default_attrs();
                self.check_attrs(c, &[allowed, ignored])?;
                if elements[kind.slot()].replace(c).is_some() {
                    return Err(self.err(
                        c,
                        ErrorKind::Invalid,
                        format!("default class \"{name}\" has more than one <{t}>"),
                    ));
                }
            } else if t == "default" {
                nested.push(c);
            } else if !BODY_IGNORED.contains(&t) {
                return Err(self.unknown_element(c, node));
            }
        }
        self.classes
            .insert(name.clone(), Class { parent, elements });
        for c in nested {
            self.read_default(c, Some(name.clone()))?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- top level

    pub(crate) fn read(mut self) -> Result<MjcfModel> {
        let root = self.doc.root_element();
        if root.tag_name().name() != "mujoco" {
            return Err(self.err(
                root,
                ErrorKind::UnknownElement,
                format!("the root element is {}, not <mujoco>", tag(root)),
            ));
        }
        self.check_attrs(root, &[&["model"]])?;
        let name = root
            .attribute("model")
            .unwrap_or("MuJoCo Model")
            .to_string();
        let mut sections: HashMap<&str, Vec<N<'a>>> = HashMap::new();
        for c in self.elements(root)? {
            let t = c.tag_name().name();
            match t {
                "compiler" | "option" | "default" | "worldbody" | "tendon" | "actuator" => {
                    sections.entry(t).or_default().push(c)
                }
                _ if TOP_IGNORED.contains(&t) => {}
                _ => return Err(self.unknown_element(c, root)),
            }
        }
        let section = |s: &str| sections.get(s).cloned().unwrap_or_default();
        // MuJoCo reads the sections in this order, whatever their order in the file.
        for c in section("compiler") {
            self.read_compiler(c)?;
        }
        let (timestep, gravity) = self.read_options(root, &section("option"))?;
        let defaults = section("default");
        if let Some(second) = defaults.get(1) {
            return Err(self.err(
                *second,
                ErrorKind::Invalid,
                "more than one top-level <default>: put every class in one".to_string(),
            ));
        }
        if let Some(&d) = defaults.first() {
            self.read_default(d, None)?;
        }
        self.read_worldbody(&section("worldbody"))?;
        for t in section("tendon") {
            self.read_tendons(t)?;
        }
        for a in section("actuator") {
            self.read_actuators(a)?;
        }
        Ok(MjcfModel {
            name,
            origin: self.origin,
            compiler: Compiler {
                inertia_from_geom: self.inertia_from_geom,
            },
            timestep,
            gravity,
            bodies: self.bodies,
            joints: self.joints,
            geoms: self.geoms,
            sites: self.sites,
            tendons: self.tendons,
            muscles: self.muscles,
        })
    }

    fn read_compiler(&mut self, node: N<'a>) -> Result<()> {
        self.check_attrs(
            node,
            &[&["angle", "autolimits", "inertiafromgeom", "eulerseq"]],
        )?;
        if let Some(v) = node.attribute("angle") {
            self.angle_deg = self.keyword(node, "angle", v, &["degree", "radian"])? == "degree";
        }
        if let Some(v) = node.attribute("autolimits") {
            self.autolimits = self.keyword(node, "autolimits", v, &["true", "false"])? == "true";
        }
        if let Some(v) = node.attribute("inertiafromgeom") {
            self.inertia_from_geom = match v {
                "auto" => InertiaFromGeom::Auto,
                "true" => InertiaFromGeom::True,
                "false" => {
                    return Err(self.err_attr(
                        node,
                        "inertiafromgeom",
                        ErrorKind::Unsupported,
                        "\"false\" is not supported (bodies without <inertial> would be massless); use auto or true",
                    ))
                }
                _ => {
                    return Err(self.err_attr(
                        node,
                        "inertiafromgeom",
                        ErrorKind::BadValue,
                        &format!("\"{v}\" is not one of [\"auto\", \"true\"]"),
                    ))
                }
            };
        }
        if let Some(v) = node.attribute("eulerseq") {
            let chars: Vec<char> = v.chars().collect();
            let ok = chars.len() == 3 && chars.iter().all(|c| "xyzXYZ".contains(*c));
            if !ok {
                return Err(self.err_attr(
                    node,
                    "eulerseq",
                    ErrorKind::BadValue,
                    &format!("\"{v}\" is not 3 characters from x, y, z, X, Y, Z"),
                ));
            }
            for (i, c) in chars.iter().enumerate() {
                let axis = match c.to_ascii_lowercase() {
                    'x' => 0,
                    'y' => 1,
                    _ => 2,
                };
                self.eulerseq[i] = (axis, c.is_ascii_lowercase());
            }
        }
        for c in self.elements(node)? {
            if c.tag_name().name() != "lengthrange" {
                return Err(self.unknown_element(c, node));
            }
            // Every muscle must give its lengthrange, so MuJoCo computes none whatever the mode,
            // as long as it keeps the given ones (useexisting, true by default).
            self.check_attrs(c, &[&["mode", "useexisting"]])?;
            if let Some(v) = c.attribute("mode") {
                self.keyword(c, "mode", v, &["none", "muscle", "muscleuser", "all"])?;
            }
            if let Some(v) = c.attribute("useexisting") {
                if self.keyword(c, "useexisting", v, &["true", "false"])? == "false"
                    && c.attribute("mode") != Some("none")
                {
                    return Err(self.err_attr(
                        c,
                        "useexisting",
                        ErrorKind::Unsupported,
                        "\"false\" asks MuJoCo to compute muscle length ranges, which this importer does not; give each muscle's lengthrange",
                    ));
                }
            }
        }
        Ok(())
    }

    fn read_options(&mut self, root: N<'a>, options: &[N<'a>]) -> Result<(f64, [f64; 3])> {
        let mut timestep = 0.002;
        let mut gravity = [0.0, 0.0, -9.81];
        let (mut contact, mut constraint) = (true, true);
        for &o in options {
            self.check_attrs(o, &[&["timestep", "gravity"]])?;
            if let Some(v) = o.attribute("timestep") {
                let [t] = self.fixed::<1>(o, "timestep", v)?;
                if t <= 0.0 {
                    return Err(self.err_attr(
                        o,
                        "timestep",
                        ErrorKind::BadValue,
                        &format!("must be > 0, got {t}"),
                    ));
                }
                timestep = t;
            }
            if let Some(v) = o.attribute("gravity") {
                gravity = self.fixed::<3>(o, "gravity", v)?;
            }
            for f in self.elements(o)? {
                if f.tag_name().name() != "flag" {
                    return Err(self.unknown_element(f, o));
                }
                self.check_attrs(f, &[&["contact", "constraint"]])?;
                for (attr, slot) in [("contact", &mut contact), ("constraint", &mut constraint)] {
                    if let Some(v) = f.attribute(attr) {
                        *slot = self.keyword(f, attr, v, &["enable", "disable"])? == "enable";
                    }
                }
            }
        }
        let at = options.last().copied().unwrap_or(root);
        for (enabled, what) in [(contact, "contact"), (constraint, "constraint")] {
            if enabled {
                return Err(self.err(
                    at,
                    ErrorKind::Unsupported,
                    format!(
                        "{}: {what}s must be disabled (<option><flag {what}=\"disable\"/></option>): the effectors simulate no {what}s",
                        tag(at)
                    ),
                ));
            }
        }
        Ok((timestep, gravity))
    }

    // ---------------------------------------------------------------- bodies

    fn read_worldbody(&mut self, worlds: &[N<'a>]) -> Result<()> {
        for &w in worlds {
            self.check_attrs(w, &[])?;
        }
        self.bodies.push(Body {
            name: Some("world".to_string()),
            parent: None,
            pos: [0.0; 3],
            quat: rot::IDENTITY,
            joints: Vec::new(),
            geoms: Vec::new(),
            sites: Vec::new(),
            inertial: None,
            line: worlds.first().map(|w| self.node_line(*w)).unwrap_or(0),
        });
        self.names.bodies.insert("world".to_string(), 0);
        self.read_body_contents(worlds, 0, None)
    }

    /// Joints, geoms, sites and inertial of body `index` (from `nodes`: the body element, or
    /// every `<worldbody>`), then its child bodies, depth first.
    fn read_body_contents(
        &mut self,
        nodes: &[N<'a>],
        index: usize,
        childclass: Option<&str>,
    ) -> Result<()> {
        let world = index == 0;
        let mut children = Vec::new();
        for &node in nodes {
            for c in self.elements(node)? {
                match c.tag_name().name() {
                    "joint" if !world => self.read_joint(c, index, childclass)?,
                    "geom" => self.read_geom(c, index, childclass)?,
                    "site" => self.read_site(c, index, childclass)?,
                    "inertial" if !world => self.read_inertial(c, index)?,
                    "body" => children.push(c),
                    "freejoint" | "joint" if world => {
                        return Err(self.err(
                            c,
                            ErrorKind::Invalid,
                            format!("{} inside <worldbody>: the world cannot move", tag(c)),
                        ))
                    }
                    "freejoint" => {
                        return Err(self.err(
                            c,
                            ErrorKind::Unsupported,
                            "<freejoint> is not supported (hinge and slide joints only)"
                                .to_string(),
                        ))
                    }
                    t if BODY_IGNORED.contains(&t) => {}
                    _ => return Err(self.unknown_element(c, node)),
                }
            }
        }
        for c in children {
            self.check_attrs(c, &[&["name", "childclass", "pos"], ORIENTATION])?;
            let cc = match c.attribute("childclass") {
                Some(cc) => {
                    self.check_class(c, "childclass", cc)?;
                    Some(cc)
                }
                None => childclass,
            };
            let pos = match c.attribute("pos") {
                Some(v) => self.fixed::<3>(c, "pos", v)?,
                None => [0.0; 3],
            };
            let quat = self.orientation(c)?;
            let i = self.bodies.len();
            self.register_name(c, |n| &mut n.bodies, "body", i)?;
            self.bodies.push(Body {
                name: self.name(c),
                parent: Some(index),
                pos,
                quat,
                joints: Vec::new(),
                geoms: Vec::new(),
                sites: Vec::new(),
                inertial: None,
                line: self.node_line(c),
            });
            self.read_body_contents(&[c], i, cc)?;
        }
        Ok(())
    }

    fn read_joint(&mut self, node: N<'a>, body: usize, childclass: Option<&str>) -> Result<()> {
        self.check_attrs(node, &[JOINT_DEFAULT, JOINT_ELEMENT, JOINT_IGNORED])?;
        let class = self.class_of(node, childclass)?;
        let l = self.layers(&class, DefKind::Joint, node);
        let kind = match l.get("type") {
            None => JointType::Hinge,
            Some((n, v)) => match v {
                "hinge" => JointType::Hinge,
                "slide" => JointType::Slide,
                "ball" | "free" => {
                    return Err(self.err_attr(
                        n,
                        "type",
                        ErrorKind::Unsupported,
                        &format!("\"{v}\" joints are not supported (hinge and slide only)"),
                    ))
                }
                _ => {
                    return Err(self.err_attr(
                        n,
                        "type",
                        ErrorKind::BadValue,
                        &format!("\"{v}\" is not a joint type (hinge, slide)"),
                    ))
                }
            },
        };
        let pos = self.arr(&l, "pos", [0.0; 3])?;
        let axis = self.arr(&l, "axis", [0.0, 0.0, 1.0])?;
        let n = rot::norm3(axis);
        if n < 1e-14 {
            let (an, _) = l.get("axis").expect("the default axis is not zero");
            return Err(self.err_attr(an, "axis", ErrorKind::BadValue, "zero axis"));
        }
        let axis = rot::scale3(axis, 1.0 / n);
        let damping = self.real_checked(&l, "damping", 0.0, |x| x >= 0.0, "≥ 0")?;
        let armature = self.real_checked(&l, "armature", 0.0, |x| x >= 0.0, "≥ 0")?;
        self.zero_only(&l, "stiffness", "joint springs")?;
        self.zero_only(&l, "frictionloss", "dry friction is a constraint")?;
        self.real(&l, "springref", 0.0)?; // no effect: stiffness is 0
        let conv = |x: f64| match kind {
            JointType::Hinge => self.angle(x),
            JointType::Slide => x,
        };
        let range = self.arr(&l, "range", [0.0; 2])?.map(conv);
        let reference = conv(self.real(&l, "ref", 0.0)?);
        let limited = self.limited(&l, "limited", "range", range)?;
        let i = self.joints.len();
        self.register_name(node, |n| &mut n.joints, "joint", i)?;
        self.joints.push(Joint {
            name: self.name(node),
            body,
            kind,
            pos,
            axis,
            damping,
            armature,
            limited,
            range,
            reference,
            line: self.node_line(node),
        });
        self.bodies[body].joints.push(i);
        Ok(())
    }

    fn read_geom(&mut self, node: N<'a>, body: usize, childclass: Option<&str>) -> Result<()> {
        self.check_attrs(node, &[GEOM_DEFAULT, GEOM_ELEMENT, GEOM_IGNORED])?;
        let class = self.class_of(node, childclass)?;
        let l = self.layers(&class, DefKind::Geom, node);
        let kind = match l.get("type") {
            None => GeomType::Sphere,
            Some((n, v)) => match v {
                "sphere" => GeomType::Sphere,
                "capsule" => GeomType::Capsule,
                "cylinder" => GeomType::Cylinder,
                "box" => GeomType::Box,
                "ellipsoid" => GeomType::Ellipsoid,
                "plane" | "hfield" | "mesh" | "sdf" => {
                    return Err(self.err_attr(
                        n,
                        "type",
                        ErrorKind::Unsupported,
                        &format!("\"{v}\" geoms are not supported (sphere, capsule, cylinder, box, ellipsoid)"),
                    ))
                }
                _ => {
                    return Err(self.err_attr(
                        n,
                        "type",
                        ErrorKind::BadValue,
                        &format!("\"{v}\" is not a geom type"),
                    ))
                }
            },
        };
        // size: each layer overrides the components it gives (MuJoCo reads 1 to 3 numbers).
        let mut size = [0.0; 3];
        for &n in &l.nodes {
            if let Some(v) = n.attribute("size") {
                let s = self.numbers(n, "size", v)?;
                if s.is_empty() || s.len() > 3 {
                    return Err(self.err_attr(
                        n,
                        "size",
                        ErrorKind::BadValue,
                        &format!("expects 1 to 3 numbers, got {}", s.len()),
                    ));
                }
                size[..s.len()].copy_from_slice(&s);
            }
        }
        let (mut pos, mut quat) = (self.arr(&l, "pos", [0.0; 3])?, self.orientation(node)?);
        if let Some(v) = node.attribute("fromto") {
            let f = self.fixed::<6>(node, "fromto", v)?;
            if kind == GeomType::Sphere {
                return Err(self.err_attr(
                    node,
                    "fromto",
                    ErrorKind::Invalid,
                    "needs a capsule, cylinder, box or ellipsoid, not a sphere",
                ));
            }
            if let Some(a) = ["pos"]
                .iter()
                .chain(ORIENTATION)
                .find(|a| node.has_attribute(**a))
            {
                return Err(self.err_attr(
                    node,
                    a,
                    ErrorKind::Invalid,
                    "given together with \"fromto\", which sets the position and orientation",
                ));
            }
            let d = [f[0] - f[3], f[1] - f[4], f[2] - f[5]];
            quat = rot::z_to(d).ok_or_else(|| {
                self.err_attr(
                    node,
                    "fromto",
                    ErrorKind::BadValue,
                    "the two points coincide",
                )
            })?;
            pos = [
                0.5 * (f[0] + f[3]),
                0.5 * (f[1] + f[4]),
                0.5 * (f[2] + f[5]),
            ];
            let half = 0.5 * rot::norm3(d);
            match kind {
                GeomType::Capsule | GeomType::Cylinder => size[1] = half,
                // MuJoCo: a box or ellipsoid along fromto has size[0] as both cross half-sizes.
                _ => {
                    size[1] = size[0];
                    size[2] = half;
                }
            }
        }
        let (needed, what) = match kind {
            GeomType::Sphere => (1, "radius"),
            GeomType::Capsule | GeomType::Cylinder => (2, "radius and half-length (or fromto)"),
            GeomType::Box => (3, "three half-sizes"),
            GeomType::Ellipsoid => (3, "three semi-axes"),
        };
        if let Some(k) = (0..needed).find(|&k| size[k] <= 0.0) {
            let n = l.get("size").map(|(n, _)| n).unwrap_or(node);
            return Err(self.err_attr(
                n,
                "size",
                ErrorKind::BadValue,
                &format!(
                    "a {} needs {needed} positive number(s) ({what}); component {k} is {}",
                    format!("{kind:?}").to_lowercase(),
                    size[k]
                ),
            ));
        }
        let mass = match self.opt_real(&l, "mass")? {
            Some(m) if m < 0.0 => {
                let (n, _) = l.get("mass").expect("given");
                return Err(self.err_attr(
                    n,
                    "mass",
                    ErrorKind::BadValue,
                    &format!("must be ≥ 0, got {m}"),
                ));
            }
            Some(m) => m,
            None => {
                let density = self.real_checked(&l, "density", 1000.0, |x| x >= 0.0, "≥ 0")?;
                density * volume(kind, size)
            }
        };
        let i = self.geoms.len();
        self.register_name(node, |n| &mut n.geoms, "geom", i)?;
        self.geoms.push(Geom {
            name: self.name(node),
            body,
            kind,
            size,
            pos,
            quat,
            mass,
            line: self.node_line(node),
        });
        self.bodies[body].geoms.push(i);
        Ok(())
    }

    fn read_site(&mut self, node: N<'a>, body: usize, childclass: Option<&str>) -> Result<()> {
        self.check_attrs(node, &[SITE_DEFAULT, SITE_ELEMENT, SITE_IGNORED])?;
        let class = self.class_of(node, childclass)?;
        let l = self.layers(&class, DefKind::Site, node);
        let pos = self.arr(&l, "pos", [0.0; 3])?;
        let quat = self.orientation(node)?;
        let i = self.sites.len();
        self.register_name(node, |n| &mut n.sites, "site", i)?;
        self.sites.push(Site {
            name: self.name(node),
            body,
            pos,
            quat,
            line: self.node_line(node),
        });
        self.bodies[body].sites.push(i);
        Ok(())
    }

    fn read_inertial(&mut self, node: N<'a>, body: usize) -> Result<()> {
        self.check_attrs(
            node,
            &[&["pos", "mass", "diaginertia", "fullinertia"], ORIENTATION],
        )?;
        if self.bodies[body].inertial.is_some() {
            return Err(self.err(
                node,
                ErrorKind::Invalid,
                "a body has at most one <inertial>".to_string(),
            ));
        }
        let l = Layers { nodes: vec![node] };
        let missing = |attr: &str| {
            self.err(
                node,
                ErrorKind::MissingAttribute,
                format!("<inertial> needs \"{attr}\""),
            )
        };
        let pos = self
            .opt_arr::<3>(&l, "pos")?
            .ok_or_else(|| missing("pos"))?;
        let mass = self.opt_real(&l, "mass")?.ok_or_else(|| missing("mass"))?;
        if mass < 0.0 {
            return Err(self.err_attr(
                node,
                "mass",
                ErrorKind::BadValue,
                &format!("must be ≥ 0, got {mass}"),
            ));
        }
        let quat = self.orientation(node)?;
        let inertia = match (
            self.opt_arr::<3>(&l, "diaginertia")?,
            self.opt_arr::<6>(&l, "fullinertia")?,
        ) {
            (Some(d), None) => {
                let ok = d.iter().all(|&x| x >= 0.0)
                    && (0..3).all(|k| d[(k + 1) % 3] + d[(k + 2) % 3] >= d[k]);
                if !ok {
                    return Err(self.err_attr(
                        node,
                        "diaginertia",
                        ErrorKind::BadValue,
                        &format!("{d:?} must be ≥ 0 with A + B ≥ C for every permutation"),
                    ));
                }
                Inertia::Diagonal(d)
            }
            (None, Some(f)) => {
                if let Some(a) = ORIENTATION.iter().find(|a| node.has_attribute(**a)) {
                    return Err(self.err_attr(
                        node,
                        a,
                        ErrorKind::Invalid,
                        "given together with \"fullinertia\" (which is in the body frame)",
                    ));
                }
                Inertia::Full(f)
            }
            (None, None) => return Err(missing("diaginertia\" or \"fullinertia")),
            (Some(_), Some(_)) => {
                return Err(self.err(
                    node,
                    ErrorKind::Invalid,
                    "<inertial>: both \"diaginertia\" and \"fullinertia\"; give one".to_string(),
                ))
            }
        };
        self.bodies[body].inertial = Some(Inertial {
            pos,
            quat,
            mass,
            inertia,
        });
        Ok(())
    }

    // ---------------------------------------------------------------- tendons and actuators

    fn lookup(
        &self,
        node: N,
        attr: &str,
        table: &HashMap<String, usize>,
        what: &str,
    ) -> Result<usize> {
        let Some(name) = node.attribute(attr) else {
            return Err(self.err(
                node,
                ErrorKind::MissingAttribute,
                format!("{} needs \"{attr}\"", tag(node)),
            ));
        };
        table.get(name).copied().ok_or_else(|| {
            self.err_attr(
                node,
                attr,
                ErrorKind::MissingReference,
                &format!("no {what} named \"{name}\""),
            )
        })
    }

    fn read_tendons(&mut self, section: N<'a>) -> Result<()> {
        self.check_attrs(section, &[])?;
        for t in self.elements(section)? {
            match t.tag_name().name() {
                "spatial" => self.read_spatial(t)?,
                "fixed" => {
                    return Err(self.err(
                        t,
                        ErrorKind::Unsupported,
                        "<fixed> tendons are not supported (spatial tendons only)".to_string(),
                    ))
                }
                _ => return Err(self.unknown_element(t, section)),
            }
        }
        Ok(())
    }

    fn read_spatial(&mut self, node: N<'a>) -> Result<()> {
        self.check_attrs(node, &[TENDON_DEFAULT, TENDON_ELEMENT, TENDON_IGNORED])?;
        let class = self.class_of(node, None)?;
        let l = self.layers(&class, DefKind::Tendon, node);
        for attr in ["stiffness", "damping", "frictionloss", "armature"] {
            self.zero_only(&l, attr, "tendon passive forces and inertia")?;
        }
        let mut path = Vec::new();
        for c in self.elements(node)? {
            match c.tag_name().name() {
                "site" => {
                    self.check_attrs(c, &[&["site"]])?;
                    path.push(PathElement::Site(self.lookup(
                        c,
                        "site",
                        &self.names.sites,
                        "site",
                    )?));
                }
                "geom" => {
                    self.check_attrs(c, &[&["geom", "sidesite"]])?;
                    let geom = self.lookup(c, "geom", &self.names.geoms, "geom")?;
                    if !matches!(self.geoms[geom].kind, GeomType::Sphere | GeomType::Cylinder) {
                        return Err(self.err_attr(
                            c,
                            "geom",
                            ErrorKind::Unsupported,
                            &format!(
                                "a tendon wraps around spheres and cylinders only, \"{}\" is a {:?}",
                                c.attribute("geom").unwrap_or(""),
                                self.geoms[geom].kind
                            ),
                        ));
                    }
                    let sidesite = match c.attribute("sidesite") {
                        Some(_) => Some(self.lookup(c, "sidesite", &self.names.sites, "site")?),
                        None => None,
                    };
                    path.push(PathElement::Geom { geom, sidesite });
                }
                "pulley" => {
                    return Err(self.err(
                        c,
                        ErrorKind::Unsupported,
                        "<pulley> is not supported in spatial tendons".to_string(),
                    ))
                }
                _ => return Err(self.unknown_element(c, node)),
            }
        }
        let is_site = |k: usize| matches!(path.get(k), Some(PathElement::Site(_)));
        let ok = path.len() >= 2
            && is_site(0)
            && is_site(path.len() - 1)
            && (0..path.len()).all(|k| is_site(k) || (is_site(k - 1) && is_site(k + 1)));
        if !ok {
            return Err(self.err(
                node,
                ErrorKind::Invalid,
                "<spatial>: the path must have at least two elements, start and end with a <site>, and have a <site> on each side of every <geom>".to_string(),
            ));
        }
        let i = self.tendons.len();
        self.register_name(node, |n| &mut n.tendons, "tendon", i)?;
        self.tendons.push(SpatialTendon {
            name: self.name(node),
            path,
            line: self.node_line(node),
        });
        Ok(())
    }

    fn read_actuators(&mut self, section: N<'a>) -> Result<()> {
        self.check_attrs(section, &[])?;
        for a in self.elements(section)? {
            if a.tag_name().name() != "muscle" {
                return Err(self.err(
                    a,
                    ErrorKind::UnknownElement,
                    format!(
                        "element {} (inside <actuator>) is not in the supported MJCF subset: only <muscle> actuators are",
                        tag(a)
                    ),
                ));
            }
            self.read_muscle(a)?;
        }
        Ok(())
    }

    fn read_muscle(&mut self, node: N<'a>) -> Result<()> {
        if let Some(t) = MUSCLE_TRANSMISSIONS
            .iter()
            .find(|t| node.has_attribute(**t))
        {
            return Err(self.err_attr(
                node,
                t,
                ErrorKind::Unsupported,
                "muscles act on tendons only (give \"tendon\")",
            ));
        }
        self.check_attrs(node, &[MUSCLE_DEFAULT, MUSCLE_ELEMENT, MUSCLE_IGNORED])?;
        let tendon = self.lookup(node, "tendon", &self.names.tendons, "tendon")?;
        let class = self.class_of(node, None)?;
        let l = self.layers(&class, DefKind::Muscle, node);
        let force = match self.opt_real(&l, "force")? {
            None => {
                return Err(self.err(
                    node,
                    ErrorKind::MissingAttribute,
                    "<muscle> needs \"force\" (MuJoCo's automatic force from \"scale\" is not computed here)".to_string(),
                ))
            }
            Some(f) if f < 0.0 => {
                let (n, _) = l.get("force").expect("given");
                return Err(self.err_attr(
                    n,
                    "force",
                    ErrorKind::Unsupported,
                    &format!("{f} < 0 asks MuJoCo to compute the force from \"scale\", which this importer does not: give it"),
                ));
            }
            Some(f) => f,
        };
        let lengthrange = self.opt_arr::<2>(&l, "lengthrange")?.ok_or_else(|| {
            self.err(
                node,
                ErrorKind::MissingAttribute,
                "<muscle> needs \"lengthrange\" (MuJoCo's length-range computation is not done here)".to_string(),
            )
        })?;
        let bad = |attr: &str, what: String| {
            let n = l.get(attr).map(|(n, _)| n).unwrap_or(node);
            self.err_attr(n, attr, ErrorKind::BadValue, &what)
        };
        if !(0.0 <= lengthrange[0] && lengthrange[0] < lengthrange[1]) {
            return Err(bad(
                "lengthrange",
                format!("{lengthrange:?} needs 0 ≤ lo < hi"),
            ));
        }
        let range = self.arr(&l, "range", [0.75, 1.05])?;
        if !(0.0 < range[0] && range[0] < range[1]) {
            return Err(bad("range", format!("{range:?} needs 0 < lo < hi")));
        }
        let lmin = self.real(&l, "lmin", 0.5)?;
        let lmax = self.real(&l, "lmax", 1.6)?;
        if lmin >= 1.0 {
            return Err(bad(
                "lmin",
                format!("needs lmin < 1 < lmax, got lmin {lmin}"),
            ));
        }
        if lmax <= 1.0 {
            return Err(bad(
                "lmax",
                format!("needs lmin < 1 < lmax, got lmax {lmax}"),
            ));
        }
        let vmax = self.real_checked(&l, "vmax", 1.5, |x| x > 0.0, "> 0")?;
        let fpmax = self.real_checked(&l, "fpmax", 1.3, |x| x >= 0.0, "≥ 0")?;
        let fvmax = self.real_checked(&l, "fvmax", 1.2, |x| x >= 0.0, "≥ 0")?;
        let timeconst = self.arr(&l, "timeconst", [0.01, 0.04])?;
        if !(timeconst[0] > 0.0 && timeconst[1] > 0.0) {
            return Err(bad("timeconst", format!("{timeconst:?} must both be > 0")));
        }
        let tausmooth = self.real_checked(&l, "tausmooth", 0.0, |x| x >= 0.0, "≥ 0")?;
        self.real(&l, "scale", 200.0)?; // no effect: force is given
        if let Some((n, v)) = l.get("gear") {
            let g = self.numbers(n, "gear", v)?;
            let unit =
                !g.is_empty() && g.len() <= 6 && g[0] == 1.0 && g[1..].iter().all(|&x| x == 0.0);
            if !unit {
                return Err(self.err_attr(
                    n,
                    "gear",
                    ErrorKind::Unsupported,
                    &format!("\"{v}\" is not supported: only gear 1"),
                ));
            }
        }
        let ctrlrange = self.arr(&l, "ctrlrange", [0.0, 0.0])?;
        let ctrllimited = self.limited(&l, "ctrllimited", "ctrlrange", ctrlrange)?;
        let i = self.muscles.len();
        self.register_name(node, |n| &mut n.muscles, "actuator", i)?;
        self.muscles.push(Muscle {
            name: self.name(node),
            tendon,
            force,
            lengthrange,
            range,
            lmin,
            lmax,
            vmax,
            fpmax,
            fvmax,
            timeconst,
            tausmooth,
            ctrllimited,
            ctrlrange,
            line: self.node_line(node),
        });
        Ok(())
    }
}
