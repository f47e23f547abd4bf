//! Named model parameters: what a built-in model declares it takes ([`ParamDecl`]), and the
//! values it is built from ([`ParamSet`]).
//!
//! The muscle and skeleton crates describe each built-in model with a list of these
//! declarations (name, unit, default or required, one line of documentation). Spec files, the
//! command line and the generated documentation read the lists, so a model's parameters are
//! written down once, next to the model. The types live here, in the crate every model crate
//! already depends on, so that the model crates stay free of serialization libraries.
//!
//! ```
//! use motornet_scalar::params::{ParamDecl, ParamSet};
//!
//! const PARAMS: &[ParamDecl] = &[
//!     ParamDecl::required("mass", "kg", 1.0, "the mass"),
//!     ParamDecl::optional("viscosity", "N·s/m", 0.0, "damping"),
//! ];
//! let p = ParamSet::resolve(PARAMS, [("mass", 2.0)]).unwrap();
//! assert_eq!((p.get("mass"), p.get("viscosity")), (2.0, 0.0));
//! assert!(ParamSet::resolve(PARAMS, [("viscosity", 1.0)]).is_err()); // mass is required
//! assert!(ParamSet::resolve(PARAMS, [("mass", 2.0), ("gravity", 9.8)]).is_err()); // unknown
//! ```

use std::fmt;

/// One parameter a model declares: its name (as spec files spell it), unit, default (or that it
/// is required), whether it is a whole number, and one line of documentation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamDecl {
    /// The name, as spec files spell it (e.g. `"tendon_length"`).
    pub name: &'static str,
    /// The unit, as documentation writes it (e.g. `"m"`, `"kg·m²"`; `""` for dimensionless).
    pub unit: &'static str,
    /// The default value; `None` if the parameter is required.
    pub default: Option<f64>,
    /// A typical value: the default where there is one; for a required parameter, a value the
    /// model builds with (used by documentation and by the tests that build every model).
    pub example: f64,
    /// Whether the value must be a whole number (written `2` or `2.0` in spec files).
    pub integer: bool,
    /// One line of documentation: what it is, and the values the model accepts.
    pub doc: &'static str,
}

impl ParamDecl {
    /// A parameter without a default; `example` is a value the model builds with.
    pub const fn required(
        name: &'static str,
        unit: &'static str,
        example: f64,
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            unit,
            default: None,
            example,
            integer: false,
            doc,
        }
    }

    /// A parameter that takes `default` when not given.
    pub const fn optional(
        name: &'static str,
        unit: &'static str,
        default: f64,
        doc: &'static str,
    ) -> Self {
        Self {
            name,
            unit,
            default: Some(default),
            example: default,
            integer: false,
            doc,
        }
    }

    /// The same parameter, restricted to whole numbers ≥ 0.
    pub const fn integer(mut self) -> Self {
        self.integer = true;
        self
    }

    /// Whether the parameter must be given.
    pub const fn is_required(&self) -> bool {
        self.default.is_none()
    }
}

/// Why a set of given values does not fit a model's declarations.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamError {
    /// A value was given for a parameter the model does not declare.
    Unknown {
        /// The name given.
        name: String,
    },
    /// A required parameter was not given.
    Missing {
        /// The parameter.
        name: &'static str,
    },
    /// The same parameter was given twice.
    Duplicate {
        /// The parameter.
        name: &'static str,
    },
    /// A whole-number parameter was given a value that is not a whole number in `[0, 1e9]`.
    NotInteger {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: f64,
    },
}

impl ParamError {
    /// The name of the parameter the error is about.
    pub fn name(&self) -> &str {
        match self {
            ParamError::Unknown { name } => name,
            ParamError::Missing { name }
            | ParamError::Duplicate { name }
            | ParamError::NotInteger { name, .. } => name,
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Unknown { name } => write!(f, "unknown parameter `{name}`"),
            ParamError::Missing { name } => write!(f, "`{name}` is required"),
            ParamError::Duplicate { name } => write!(f, "`{name}` is given twice"),
            ParamError::NotInteger { name, value } => {
                write!(f, "`{name}` must be a whole number >= 0, got {value}")
            }
        }
    }
}

impl std::error::Error for ParamError {}

/// The values of every parameter a model declares (given, or defaulted), looked up by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParamSet {
    values: Vec<(&'static str, f64)>,
}

impl ParamSet {
    /// Match `given` (name, value) pairs against `decls`: every name must be declared and given
    /// at most once, every required parameter given, and whole-number parameters whole; the
    /// parameters not given take their defaults. The result holds the declared parameters in
    /// declaration order.
    pub fn resolve<'a>(
        decls: &'static [ParamDecl],
        given: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Self, ParamError> {
        let mut values: Vec<Option<f64>> = vec![None; decls.len()];
        for (name, value) in given {
            let k = decls
                .iter()
                .position(|d| d.name == name)
                .ok_or_else(|| ParamError::Unknown { name: name.into() })?;
            let d = &decls[k];
            if values[k].is_some() {
                return Err(ParamError::Duplicate { name: d.name });
            }
            if d.integer
                && !(value.is_finite() && value.fract() == 0.0 && (0.0..=1e9).contains(&value))
            {
                return Err(ParamError::NotInteger {
                    name: d.name,
                    value,
                });
            }
            values[k] = Some(value);
        }
        let values = decls
            .iter()
            .zip(values)
            .map(|(d, v)| {
                v.or(d.default)
                    .map(|v| (d.name, v))
                    .ok_or(ParamError::Missing { name: d.name })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { values })
    }

    /// Every declared parameter at its [`ParamDecl::example`] value (the default where there is
    /// one).
    pub fn examples(decls: &'static [ParamDecl]) -> Self {
        Self {
            values: decls.iter().map(|d| (d.name, d.example)).collect(),
        }
    }

    /// The value of parameter `name`.
    ///
    /// # Panics
    /// If the model did not declare `name`: a bug in the model's code (a resolved set always
    /// holds every declared parameter), which the tests that build every registered model catch.
    pub fn get(&self, name: &str) -> f64 {
        self.try_get(name).unwrap_or_else(|| {
            panic!(
                "parameter `{name}` is not declared (declared: {:?})",
                self.names()
            )
        })
    }

    /// The value of whole-number parameter `name` (see [`ParamSet::get`]).
    pub fn get_usize(&self, name: &str) -> usize {
        self.get(name) as usize
    }

    /// The value of parameter `name`, if declared.
    pub fn try_get(&self, name: &str) -> Option<f64> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    /// Set parameter `name` (which must be declared) to `value`; returns whether it was.
    pub fn set(&mut self, name: &str, value: f64) -> bool {
        match self.values.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = value;
                true
            }
            None => false,
        }
    }

    /// The names of the parameters, in declaration order.
    pub fn names(&self) -> Vec<&'static str> {
        self.values.iter().map(|(n, _)| *n).collect()
    }

    /// (name, value) pairs, in declaration order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.values.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECLS: &[ParamDecl] = &[
        ParamDecl::required("dim", "", 2.0, "dimension").integer(),
        ParamDecl::optional("gain", "", 1.5, "gain"),
    ];

    #[test]
    fn resolve_fills_defaults_and_rejects_bad_sets() {
        let p = ParamSet::resolve(DECLS, [("dim", 3.0)]).unwrap();
        assert_eq!(p.iter().collect::<Vec<_>>(), [("dim", 3.0), ("gain", 1.5)]);
        assert_eq!(p.get_usize("dim"), 3);
        assert_eq!(
            ParamSet::resolve(DECLS, [("gain", 1.0)]),
            Err(ParamError::Missing { name: "dim" })
        );
        assert_eq!(
            ParamSet::resolve(DECLS, [("dim", 1.0), ("dims", 1.0)]),
            Err(ParamError::Unknown {
                name: "dims".into()
            })
        );
        assert_eq!(
            ParamSet::resolve(DECLS, [("dim", 1.0), ("dim", 2.0)]),
            Err(ParamError::Duplicate { name: "dim" })
        );
        for bad in [2.5, -1.0, f64::NAN, 1e12] {
            assert!(matches!(
                ParamSet::resolve(DECLS, [("dim", bad)]),
                Err(ParamError::NotInteger { name: "dim", .. })
            ));
        }
        assert_eq!(ParamSet::examples(DECLS).get("dim"), 2.0);
        assert!(ParamError::Missing { name: "dim" }
            .to_string()
            .contains("dim"));
    }

    #[test]
    #[should_panic(expected = "not declared")]
    fn getting_an_undeclared_parameter_is_a_bug() {
        ParamSet::examples(DECLS).get("mass");
    }
}
