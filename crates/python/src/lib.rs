//! `motornet_rs._native`: the Rust half of the `motornet_rs` Python package (issue 17).
//!
//! It wraps the public Rust API (effectors from [`motornet_effector`], environments from
//! [`motornet_task`], training from [`motornet_train`], analyses from
//! [`motornet_analysis`]) for Python: numbers go in and out as numpy arrays of `float64`
//! (inputs may be anything `numpy.asarray` takes), settings as JSON text (the Python package
//! turns dicts into it), errors as `motornet_rs.MotornetError` (a `ValueError`) carrying the
//! Rust error's message. Long calls (simulations, VJPs, training, evaluation) release the GIL.
//!
//! The pure-Python package (`python/motornet_rs/`) adds the `gymnasium.Env` subclass, run
//! directories and the dict-based conveniences; its docstrings and `docs/python.md` describe
//! the Python API. Nothing here re-implements physics or training.

use motornet_analysis::{Pca, Tuned, UnitTuning};
use motornet_effector::{presets, DynEffector, EffectorSpec, Scenario, State, Trajectory};
use motornet_task::{Batch, Environment};
use motornet_train::{AnyTrainer, Rollout, TrainConfig};
use numpy::{PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use std::sync::Arc;

create_exception!(
    _native,
    MotornetError,
    PyValueError,
    "An error from motornet-rs (bad input, a spec or config that does not validate, a \
     simulation that diverged); the message is the Rust error's."
);

/// A Rust error as a [`MotornetError`] with the same message.
fn err(e: impl std::fmt::Display) -> PyErr {
    MotornetError::new_err(e.to_string())
}

/// An array argument as `float64` numbers (row-major) and its shape. `None`-like handling is
/// left to the caller; anything `numpy.asarray` accepts is converted.
fn array(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<(Vec<f64>, Vec<usize>)> {
    let arr: PyReadonlyArrayDyn<'_, f64> = match obj.extract() {
        Ok(a) => a,
        Err(_) => {
            let np = obj.py().import_bound("numpy")?;
            let conv = np
                .call_method1("ascontiguousarray", (obj, "float64"))
                .map_err(|e| err(format!("{name}: not an array of numbers ({e})")))?;
            conv.extract()
                .map_err(|e| err(format!("{name}: not an array of numbers ({e})")))?
        }
    };
    let shape = arr.shape().to_vec();
    let data = match arr.as_slice() {
        Ok(s) => s.to_vec(),
        Err(_) => arr.as_array().iter().copied().collect(),
    };
    Ok((data, shape))
}

/// [`array`] with its number of dimensions checked.
fn array_nd(
    obj: &Bound<'_, PyAny>,
    name: &str,
    ndim: usize,
    what: &str,
) -> PyResult<(Vec<f64>, Vec<usize>)> {
    let (data, shape) = array(obj, name)?;
    if shape.len() != ndim {
        return Err(err(format!(
            "{name} must have {ndim} dimensions ({what}), got shape {shape:?}"
        )));
    }
    Ok((data, shape))
}

/// A 1-D array of exactly `n` entries.
fn vector(obj: &Bound<'_, PyAny>, name: &str, n: usize) -> PyResult<Vec<f64>> {
    let (data, shape) = array(obj, name)?;
    if shape.len() != 1 || data.len() != n {
        return Err(err(format!(
            "{name} must have shape ({n},), got shape {shape:?}"
        )));
    }
    Ok(data)
}

/// `data` (row-major) as a numpy array of `shape`.
fn to_numpy<'py>(
    py: Python<'py>,
    data: Vec<f64>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    numpy::PyArray1::from_vec_bound(py, data).reshape(shape.to_vec())
}

/// Row-major `[n0][n1][n2]` nested vectors from flat data (`n0 · n1 · n2` numbers; any of
/// the sizes may be 0).
fn nest3(data: &[f64], shape: &[usize]) -> Vec<Vec<Vec<f64>>> {
    let (n0, n1, n2) = (shape[0], shape[1], shape[2]);
    (0..n0)
        .map(|i| {
            (0..n1)
                .map(|j| data[(i * n1 + j) * n2..(i * n1 + j + 1) * n2].to_vec())
                .collect()
        })
        .collect()
}

/// An effector: a skeleton, a muscle model and a geometry (see `motornet::effector`). Build
/// one with `Effector.preset`, `Effector.from_spec_json`, `Effector.from_spec_file` or
/// `Effector.from_mjcf`.
#[pyclass(module = "motornet_rs._native", frozen)]
pub struct Effector {
    spec: EffectorSpec,
    inner: Arc<DynEffector>,
}

impl Effector {
    fn new(spec: EffectorSpec) -> PyResult<Self> {
        let inner = Arc::new(spec.build().map_err(err)?);
        Ok(Self { spec, inner })
    }

    /// A flat state `[state_len]` split into joint, muscle and geometry.
    fn state(&self, flat: &[f64]) -> State<f64> {
        let [j, m, _] = self.inner.state_part_lens();
        State {
            joint: flat[..j].to_vec(),
            muscle: flat[j..j + m].to_vec(),
            geometry: flat[j + m..].to_vec(),
        }
    }

    fn flat(s: &State<f64>) -> Vec<f64> {
        let mut v = s.joint.clone();
        v.extend_from_slice(&s.muscle);
        v.extend_from_slice(&s.geometry);
        v
    }

    fn state_arg(&self, obj: &Bound<'_, PyAny>, name: &str) -> PyResult<State<f64>> {
        let v = vector(obj, name, self.inner.state_len())?;
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(err(format!("{name}[{i}] is not finite ({})", v[i])));
        }
        Ok(self.state(&v))
    }

    /// An optional load vector of `n` entries: empty for `None`.
    fn load_arg(obj: Option<&Bound<'_, PyAny>>, name: &str, n: usize) -> PyResult<Vec<f64>> {
        match obj {
            None => Ok(Vec::new()),
            Some(o) if o.is_none() => Ok(Vec::new()),
            Some(o) => vector(o, name, n),
        }
    }

    /// An optional per-step load `[T][n]` (or `[T][B][n]` with `batch`).
    fn load_rows(
        obj: Option<&Bound<'_, PyAny>>,
        name: &str,
        lead: &[usize],
        n: usize,
    ) -> PyResult<Option<Vec<f64>>> {
        match obj {
            None => Ok(None),
            Some(o) if o.is_none() => Ok(None),
            Some(o) => {
                let (data, shape) = array(o, name)?;
                let mut want = lead.to_vec();
                want.push(n);
                if shape != want {
                    return Err(err(format!(
                        "{name} must have shape {want:?}, got {shape:?}"
                    )));
                }
                Ok(Some(data))
            }
        }
    }
}

#[pymethods]
impl Effector {
    /// A preset by name (`motornet presets` lists them), with an optional muscle model for the
    /// presets that take one.
    #[staticmethod]
    #[pyo3(signature = (name, muscle=None))]
    fn preset(name: &str, muscle: Option<&str>) -> PyResult<Self> {
        Self::new(presets::spec(name, muscle).map_err(err)?)
    }

    /// An effector from a spec as JSON text (the format `motornet spec` prints).
    #[staticmethod]
    fn from_spec_json(text: &str) -> PyResult<Self> {
        Self::new(EffectorSpec::from_json(text).map_err(err)?)
    }

    /// An effector from a spec file (JSON, or TOML by extension).
    #[staticmethod]
    fn from_spec_file(path: PathBuf) -> PyResult<Self> {
        Self::new(EffectorSpec::from_path(&path).map_err(err)?)
    }

    /// An effector from a MuJoCo MJCF model file (`.xml`).
    #[staticmethod]
    fn from_mjcf(path: PathBuf) -> PyResult<Self> {
        Self::new(motornet_effector::mjcf::read_mjcf(&path).map_err(err)?)
    }

    /// The full spec as JSON text.
    fn spec_json(&self) -> String {
        self.spec.to_json()
    }

    /// Number of muscles M.
    #[getter]
    fn n_muscles(&self) -> usize {
        self.inner.n_muscles()
    }

    /// Number of joints (degrees of freedom).
    #[getter]
    fn dof(&self) -> usize {
        self.inner.dof()
    }

    /// Space dimension of the endpoint (2 for the planar presets).
    #[getter]
    fn space_dim(&self) -> usize {
        self.inner.space_dim()
    }

    /// Time step (s) of one `step`.
    #[getter]
    fn dt(&self) -> f64 {
        self.inner.options().timestep
    }

    /// Length of a flat state `[joint (2·dof) | muscle (M·n_states) | geometry ((2+dof)·M)]`.
    #[getter]
    fn state_len(&self) -> usize {
        self.inner.state_len()
    }

    /// Lengths of the three parts of a flat state: joint, muscle, geometry.
    #[getter]
    fn state_part_lens(&self) -> (usize, usize, usize) {
        let [a, b, c] = self.inner.state_part_lens();
        (a, b, c)
    }

    /// Names of the geometry rows.
    #[getter]
    fn geometry_state_names(&self) -> Vec<String> {
        self.inner.geometry_state_names()
    }

    /// Simulate a batch open-loop (MotorNet's layouts). `initial_joint_state`: `[B, 2·dof]`
    /// (or `[B, dof]`, velocities zero); `excitation`: `[T, B, M]`; optional `endpoint_load`
    /// `[T, B, space_dim]` (N) and `joint_load` `[T, B, dof]`; `precision`: `"f64"` or
    /// `"f32"`. Returns a dict of arrays, index 0 the state after reset: `joint`
    /// `[T+1, B, 2·dof]`, `cartesian` `[T+1, B, 2·space_dim]`, `fingertip`
    /// `[T+1, B, space_dim]`, `muscle` `[T+1, B, n_states, M]`, `geometry`
    /// `[T+1, B, 2+dof, M]`, and the state names.
    #[pyo3(signature = (initial_joint_state, excitation, endpoint_load=None, joint_load=None, precision="f64"))]
    fn simulate<'py>(
        &self,
        py: Python<'py>,
        initial_joint_state: &Bound<'py, PyAny>,
        excitation: &Bound<'py, PyAny>,
        endpoint_load: Option<&Bound<'py, PyAny>>,
        joint_load: Option<&Bound<'py, PyAny>>,
        precision: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (j0, js) = array_nd(initial_joint_state, "initial_joint_state", 2, "B × 2·dof")?;
        let (u, us) = array_nd(excitation, "excitation", 3, "T × B × M")?;
        if us[1] != js[0] {
            return Err(err(format!(
                "excitation has {} batch elements but initial_joint_state has {}",
                us[1], js[0]
            )));
        }
        let lead = [us[0], us[1]];
        let el = Self::load_rows(
            endpoint_load,
            "endpoint_load",
            &lead,
            self.inner.space_dim(),
        )?;
        let jl = Self::load_rows(joint_load, "joint_load", &lead, self.inner.dof())?;
        let scenario = Scenario {
            name: None,
            effector: self.spec.clone(),
            initial_joint_state: j0
                .chunks(js[1].max(1))
                .take(js[0])
                .map(|r| r[..js[1]].to_vec())
                .collect(),
            excitation: nest3(&u, &us),
            endpoint_load: el.map(|d| nest3(&d, &[us[0], us[1], self.inner.space_dim()])),
            joint_load: jl.map(|d| nest3(&d, &[us[0], us[1], self.inner.dof()])),
        };
        let eff = self.inner.clone();
        let traj: Trajectory =
            match precision {
                "f64" => py
                    .allow_threads(|| motornet_effector::simulate::<f64, _, _, _>(&eff, &scenario)),
                "f32" => py
                    .allow_threads(|| motornet_effector::simulate::<f32, _, _, _>(&eff, &scenario)),
                other => {
                    return Err(err(format!(
                        "precision must be \"f64\" or \"f32\", got {other:?}"
                    )))
                }
            }
            .map_err(err)?;
        trajectory_dict(py, &traj)
    }

    /// The state after reset from a joint state `[2·dof]`, flat (`[state_len]`).
    fn reset<'py>(
        &self,
        py: Python<'py>,
        joint: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let j = vector(joint, "joint", 2 * self.inner.dof())?;
        self.inner.check_joint_state(&j, "joint").map_err(err)?;
        let mut s = self.inner.zero_state::<f64>();
        self.inner.reset(&j, &mut s);
        let n = self.inner.state_len();
        to_numpy(py, Self::flat(&s), &[n])
    }

    /// One step from a flat `state` (`[state_len]`) under `excitation` (`[M]`) and optional
    /// loads (`[space_dim]` N, `[dof]`); returns the next flat state.
    #[pyo3(signature = (state, excitation, endpoint_load=None, joint_load=None))]
    fn step<'py>(
        &self,
        py: Python<'py>,
        state: &Bound<'py, PyAny>,
        excitation: &Bound<'py, PyAny>,
        endpoint_load: Option<&Bound<'py, PyAny>>,
        joint_load: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let mut s = self.state_arg(state, "state")?;
        let u = vector(excitation, "excitation", self.inner.n_muscles())?;
        let el = Self::load_arg(endpoint_load, "endpoint_load", self.inner.space_dim())?;
        let jl = Self::load_arg(joint_load, "joint_load", self.inner.dof())?;
        let mut ws = self.inner.workspace::<f64>();
        self.inner.step(&mut s, &u, &el, &jl, &mut ws);
        let n = self.inner.state_len();
        to_numpy(py, Self::flat(&s), &[n])
    }

    /// Exact vector–Jacobian product of one `step`: given the flat `state` before the step,
    /// its inputs and `grad_next` = ∂L/∂(state after the step) (`[state_len]`), returns a dict
    /// with ∂L/∂ `state` (`[state_len]`), `excitation` (`[M]`), `endpoint_load` and
    /// `joint_load` (empty when not given). With `fold_geometry=True` (default) the geometry is
    /// treated as a function of the joint state (its gradient is carried into the joint
    /// entries and the geometry entries are zero); with `False`, for Euler effectors, the step
    /// is differentiated with the stored geometry as independent inputs.
    #[pyo3(signature = (state, excitation, grad_next, endpoint_load=None, joint_load=None, fold_geometry=true))]
    fn step_vjp<'py>(
        &self,
        py: Python<'py>,
        state: &Bound<'py, PyAny>,
        excitation: &Bound<'py, PyAny>,
        grad_next: &Bound<'py, PyAny>,
        endpoint_load: Option<&Bound<'py, PyAny>>,
        joint_load: Option<&Bound<'py, PyAny>>,
        fold_geometry: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let s = self.state_arg(state, "state")?;
        let g = self.state_arg(grad_next, "grad_next")?;
        let u = vector(excitation, "excitation", self.inner.n_muscles())?;
        let el = Self::load_arg(endpoint_load, "endpoint_load", self.inner.space_dim())?;
        let jl = Self::load_arg(joint_load, "joint_load", self.inner.dof())?;
        let eff = &*self.inner;
        let out = py.allow_threads(|| {
            let mut out = motornet_effector::StepGradient::default();
            if fold_geometry {
                eff.step_vjp_into(&s, &u, &el, &jl, &g, &mut out);
            } else {
                eff.step_vjp_unfolded_into(&s, &u, &el, &jl, &g, &mut out);
            }
            out
        });
        let d = PyDict::new_bound(py);
        let n = self.inner.state_len();
        d.set_item("state", to_numpy(py, Self::flat(&out.state), &[n])?)?;
        let m = out.excitation.len();
        d.set_item("excitation", to_numpy(py, out.excitation, &[m])?)?;
        let m = out.endpoint_load.len();
        d.set_item("endpoint_load", to_numpy(py, out.endpoint_load, &[m])?)?;
        let m = out.joint_load.len();
        d.set_item("joint_load", to_numpy(py, out.joint_load, &[m])?)?;
        Ok(d)
    }

    /// The flat states of an open-loop rollout of one element: `[T+1, state_len]` (index 0
    /// after reset) from `initial_joint` (`[2·dof]`) and `excitation` (`[T, M]`), optional
    /// loads `[T, space_dim]`, `[T, dof]`.
    #[pyo3(signature = (initial_joint, excitation, endpoint_load=None, joint_load=None))]
    fn rollout<'py>(
        &self,
        py: Python<'py>,
        initial_joint: &Bound<'py, PyAny>,
        excitation: &Bound<'py, PyAny>,
        endpoint_load: Option<&Bound<'py, PyAny>>,
        joint_load: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let (j0, u, t, el, jl) =
            self.rollout_args(initial_joint, excitation, endpoint_load, joint_load)?;
        let eff = &*self.inner;
        let (m, d, dof, n) = (eff.n_muscles(), eff.space_dim(), eff.dof(), eff.state_len());
        let states = py.allow_threads(|| -> PyResult<Vec<f64>> {
            let mut s = eff.zero_state::<f64>();
            eff.reset(&j0, &mut s);
            let mut ws = eff.workspace::<f64>();
            let mut out = Self::flat(&s);
            for k in 0..t {
                let e = el.as_ref().map_or(&[][..], |l| &l[k * d..(k + 1) * d]);
                let j = jl.as_ref().map_or(&[][..], |l| &l[k * dof..(k + 1) * dof]);
                eff.step(&mut s, &u[k * m..(k + 1) * m], e, j, &mut ws);
                if let Some(e) = eff.find_non_finite(&s, k + 1, 0) {
                    return Err(err(e));
                }
                out.extend(Self::flat(&s));
            }
            Ok(out)
        })?;
        to_numpy(py, states, &[t + 1, n])
    }

    /// Exact gradient of `L = Σ_t ⟨grad_states[t], state_t⟩` over an open-loop rollout
    /// (backpropagation through time): `grad_states` is `[T+1, state_len]` (∂L/∂ each flat
    /// state of `rollout`, index 0 after reset). Returns a dict: `initial_joint` `[2·dof]`,
    /// `excitation` `[T, M]`, `endpoint_load` `[T, space_dim]` and `joint_load` `[T, dof]`
    /// (`[T, 0]` when not given).
    #[pyo3(signature = (initial_joint, excitation, grad_states, endpoint_load=None, joint_load=None))]
    fn rollout_vjp<'py>(
        &self,
        py: Python<'py>,
        initial_joint: &Bound<'py, PyAny>,
        excitation: &Bound<'py, PyAny>,
        grad_states: &Bound<'py, PyAny>,
        endpoint_load: Option<&Bound<'py, PyAny>>,
        joint_load: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let (j0, u, t, el, jl) =
            self.rollout_args(initial_joint, excitation, endpoint_load, joint_load)?;
        let eff = &*self.inner;
        let (m, d, dof, n) = (eff.n_muscles(), eff.space_dim(), eff.dof(), eff.state_len());
        let (g, gs) = array_nd(grad_states, "grad_states", 2, "T+1 × state_len")?;
        if gs != [t + 1, n] {
            return Err(err(format!(
                "grad_states must have shape [{}, {n}], got {gs:?}",
                t + 1
            )));
        }
        let rows = |data: &Option<Vec<f64>>, w: usize| -> Option<Vec<Vec<f64>>> {
            data.as_ref().map(|l| {
                l.chunks(w.max(1))
                    .take(t)
                    .map(|r| r[..w].to_vec())
                    .collect()
            })
        };
        let u_rows: Vec<Vec<f64>> = (0..t).map(|k| u[k * m..(k + 1) * m].to_vec()).collect();
        let (el_rows, jl_rows) = (rows(&el, d), rows(&jl, dof));
        let [pj, pm, _] = eff.state_part_lens();
        let grad = py
            .allow_threads(|| {
                eff.rollout_vjp(
                    &j0,
                    &u_rows,
                    el_rows.as_deref(),
                    jl_rows.as_deref(),
                    |k, _, acc| {
                        let row = &g[k * n..(k + 1) * n];
                        for (a, x) in acc.joint.iter_mut().zip(&row[..pj]) {
                            *a += x;
                        }
                        for (a, x) in acc.muscle.iter_mut().zip(&row[pj..pj + pm]) {
                            *a += x;
                        }
                        for (a, x) in acc.geometry.iter_mut().zip(&row[pj + pm..]) {
                            *a += x;
                        }
                    },
                )
            })
            .map_err(err)?;
        let out = PyDict::new_bound(py);
        let k = grad.initial_joint.len();
        out.set_item("initial_joint", to_numpy(py, grad.initial_joint, &[k])?)?;
        let flat = |v: Vec<Vec<f64>>| -> (Vec<f64>, usize) {
            let w = v.first().map_or(0, |r| r.len());
            (v.into_iter().flatten().collect(), w)
        };
        for (name, v) in [
            ("excitation", grad.excitation),
            ("endpoint_load", grad.endpoint_load),
            ("joint_load", grad.joint_load),
        ] {
            let (data, w) = flat(v);
            out.set_item(name, to_numpy(py, data, &[t, w])?)?;
        }
        Ok(out)
    }
}

/// What `rollout` and `rollout_vjp` take: the initial joint state, the excitations `[T·M]`,
/// `T`, and the optional loads.
type RolloutArgs = (
    Vec<f64>,
    Vec<f64>,
    usize,
    Option<Vec<f64>>,
    Option<Vec<f64>>,
);

impl Effector {
    fn rollout_args(
        &self,
        initial_joint: &Bound<'_, PyAny>,
        excitation: &Bound<'_, PyAny>,
        endpoint_load: Option<&Bound<'_, PyAny>>,
        joint_load: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RolloutArgs> {
        let eff = &*self.inner;
        let j0 = vector(initial_joint, "initial_joint", 2 * eff.dof())?;
        eff.check_joint_state(&j0, "initial_joint").map_err(err)?;
        let (u, us) = array_nd(excitation, "excitation", 2, "T × M")?;
        if us[1] != eff.n_muscles() {
            return Err(err(format!(
                "excitation must have shape [T, {}], got {us:?}",
                eff.n_muscles()
            )));
        }
        if let Some(i) = u.iter().position(|x| !x.is_finite()) {
            return Err(err(format!(
                "excitation[{}][{}] is not finite",
                i / us[1].max(1),
                i % us[1].max(1)
            )));
        }
        let t = us[0];
        let el = Self::load_rows(endpoint_load, "endpoint_load", &[t], eff.space_dim())?;
        let jl = Self::load_rows(joint_load, "joint_load", &[t], eff.dof())?;
        Ok((j0, u, t, el, jl))
    }
}

fn trajectory_dict<'py>(py: Python<'py>, t: &Trajectory) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new_bound(py);
    let t1 = t.joint.len();
    let b = t.joint.first().map_or(0, |x| x.len());
    let three = |v: &Vec<Vec<Vec<f64>>>| -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let w = v.first().and_then(|x| x.first()).map_or(0, |r| r.len());
        to_numpy(
            py,
            v.iter().flatten().flatten().copied().collect(),
            &[t1, b, w],
        )
    };
    d.set_item("joint", three(&t.joint)?)?;
    d.set_item("cartesian", three(&t.cartesian)?)?;
    d.set_item("fingertip", three(&t.fingertip)?)?;
    let four = |v: &Vec<Vec<Vec<Vec<f64>>>>| -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let rows = v.first().and_then(|x| x.first());
        let n = rows.map_or(0, |r| r.len());
        let m = rows.and_then(|r| r.first()).map_or(0, |r| r.len());
        let data = v.iter().flatten().flatten().flatten().copied().collect();
        to_numpy(py, data, &[t1, b, n, m])
    };
    d.set_item("muscle", four(&t.muscle)?)?;
    d.set_item("geometry", four(&t.geometry)?)?;
    d.set_item("muscle_state_names", t.state_names.muscle.clone())?;
    d.set_item("geometry_state_names", t.state_names.geometry.clone())?;
    Ok(d)
}

/// An environment: an effector and a task with MotorNet's delays, noise and stacked actions,
/// built from a run config (JSON; only its `effector`, `task` and `env` fields are read).
/// Steps a batch of episodes.
#[pyclass(module = "motornet_rs._native")]
pub struct Env {
    inner: Environment<
        motornet_effector::AnySkeleton,
        motornet_muscle::AnyMuscle,
        motornet_effector::AnyGeometry,
    >,
    batch: Option<Batch>,
}

impl Env {
    /// `[B, w]`: what `f` reads from each episode of the batch now (`w` numbers each).
    fn per_episode<'py>(
        &self,
        py: Python<'py>,
        w: usize,
        f: impl Fn(&motornet_task::Episode) -> &[f64],
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let batch = self
            .batch
            .as_ref()
            .ok_or_else(|| err("no episode: reset first"))?;
        let v = batch.episodes.iter().flat_map(|e| f(e).to_vec()).collect();
        to_numpy(py, v, &[batch.episodes.len(), w])
    }
}

#[pymethods]
impl Env {
    /// Build from a run config as JSON text (`"{}"`: MotorNet's tutorial).
    #[new]
    fn py_new(config_json: &str) -> PyResult<Self> {
        let c = TrainConfig::from_json(config_json).map_err(err)?;
        let effector = Arc::new(c.effector.resolve().map_err(err)?.build().map_err(err)?);
        let inner = Environment::new(effector, c.task.build(), c.env.clone()).map_err(err)?;
        Ok(Self { inner, batch: None })
    }

    /// Observation width.
    #[getter]
    fn obs_len(&self) -> usize {
        self.inner.obs_len()
    }

    /// Number of muscles (action width).
    #[getter]
    fn n_muscles(&self) -> usize {
        self.inner.effector().n_muscles()
    }

    /// Space dimension.
    #[getter]
    fn space_dim(&self) -> usize {
        self.inner.effector().space_dim()
    }

    /// Time step (s).
    #[getter]
    fn dt(&self) -> f64 {
        self.inner.dt()
    }

    /// Steps per episode.
    #[getter]
    fn steps(&self) -> usize {
        self.inner.steps()
    }

    /// Offsets in an observation row: a dict with `goal`, `go_cue` (`None` where the task has
    /// none), `vision`, `proprioception`, `actions`, `task` (the task's own entries) and `len`.
    fn layout<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let l = self.inner.layout();
        let d = PyDict::new_bound(py);
        d.set_item("goal", l.goal)?;
        d.set_item("go_cue", l.go_cue)?;
        d.set_item("vision", l.vision)?;
        d.set_item("proprioception", l.proprioception)?;
        d.set_item("actions", l.actions)?;
        d.set_item("task", l.task)?;
        d.set_item("len", l.len)?;
        Ok(d)
    }

    /// Start `batch` episodes with `seed`; `initial` (`[1 or B, 2·dof]`) fixes the initial
    /// joint states. Returns the observations `[B, obs_len]`.
    #[pyo3(signature = (batch, seed, initial=None))]
    fn reset<'py>(
        &mut self,
        py: Python<'py>,
        batch: usize,
        seed: u64,
        initial: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let init = match initial {
            Some(o) if !o.is_none() => {
                let (d, s) = array_nd(o, "initial", 2, "1 or B × 2·dof")?;
                Some(
                    d.chunks(s[1].max(1))
                        .take(s[0])
                        .map(|r| r[..s[1]].to_vec())
                        .collect::<Vec<_>>(),
                )
            }
            _ => None,
        };
        let b = self
            .inner
            .reset_batch(batch, seed, init.as_deref())
            .map_err(err)?;
        let obs = b.obs.clone();
        self.batch = Some(b);
        to_numpy(py, obs, &[batch, self.inner.obs_len()])
    }

    /// One step under `actions` (`[B, M]`). Returns `(obs [B, obs_len], done)`.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyArrayDyn<f64>>, bool)> {
        let batch = self
            .batch
            .as_mut()
            .ok_or_else(|| err("step before reset"))?;
        let b = batch.episodes.len();
        let m = self.inner.effector().n_muscles();
        let (a, s) = array_nd(actions, "actions", 2, "B × M")?;
        if s != [b, m] {
            return Err(err(format!(
                "actions must have shape [{b}, {m}], got {s:?}"
            )));
        }
        if batch
            .episodes
            .first()
            .is_some_and(|e| e.t >= self.inner.steps())
        {
            return Err(err("the episode has ended: reset first"));
        }
        let done = self.inner.step_batch(batch, &a).map_err(err)?;
        let obs = batch.obs.clone();
        Ok((to_numpy(py, obs, &[b, self.inner.obs_len()])?, done))
    }

    /// Fingertip position then velocity now, `[B, 2·space_dim]` (m, m/s).
    fn fingertip<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let w = 2 * self.inner.effector().space_dim();
        self.per_episode(py, w, |e| e.fingertip())
    }

    /// The goal of the losses now, `[B, space_dim]` (m).
    fn goal<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let w = self.inner.effector().space_dim();
        self.per_episode(py, w, |e| e.goal())
    }

    /// The joint state now, `[B, 2·dof]`.
    fn joint<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let w = 2 * self.inner.effector().dof();
        self.per_episode(py, w, |e| &e.state.joint)
    }
}

/// A training run built from a run config (JSON text, the format `motornet train --config`
/// reads): effector, task, environment, network, losses and optimiser.
#[pyclass(module = "motornet_rs._native", subclass)]
pub struct Trainer {
    inner: AnyTrainer,
}

#[pymethods]
impl Trainer {
    /// Build the run the config describes (network initialised from its seed).
    #[new]
    fn py_new(config_json: &str) -> PyResult<Self> {
        let c = TrainConfig::from_json(config_json).map_err(err)?;
        Ok(Self {
            inner: AnyTrainer::new(&c).map_err(err)?,
        })
    }

    /// The resolved config (effector written out as a full spec) as JSON text.
    fn config_json(&self) -> PyResult<String> {
        serde_json::to_string_pretty(self.inner.config()).map_err(err)
    }

    /// Number of trainable parameters.
    #[getter]
    fn n_params(&self) -> usize {
        self.inner.n_params()
    }

    /// Batches trained so far.
    #[getter]
    fn batches_done(&self) -> usize {
        self.inner.batches_done()
    }

    /// Loss of every batch trained so far, `[batches_done]`.
    fn losses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let l = self.inner.losses().to_vec();
        let n = l.len();
        to_numpy(py, l, &[n])
    }

    /// The parameters, `[n_params]` (float32 values as float64).
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let p: Vec<f64> = self.inner.params().iter().map(|&x| x as f64).collect();
        let n = p.len();
        to_numpy(py, p, &[n])
    }

    /// Train `batches` batches (the GIL is released). Returns `[batches, 4]`: per batch its
    /// index, mean loss, gradient norm before clipping, learning rate.
    fn train<'py>(
        &mut self,
        py: Python<'py>,
        batches: usize,
    ) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
        let inner = &mut self.inner;
        let rows = py.allow_threads(|| -> Result<Vec<f64>, String> {
            let mut rows = Vec::with_capacity(4 * batches);
            for _ in 0..batches {
                let s = inner.batch().map_err(|e| e.to_string())?;
                rows.extend([s.batch as f64, s.loss, s.grad_norm, s.lr]);
            }
            Ok(rows)
        });
        let rows = rows.map_err(err)?;
        let n = rows.len() / 4;
        to_numpy(py, rows, &[n, 4])
    }

    /// Save a checkpoint (parameters, optimiser state, losses) to `path`.
    fn save_checkpoint(&self, path: PathBuf) -> PyResult<()> {
        self.inner.save_checkpoint(&path).map_err(err)
    }

    /// Resume from a checkpoint written for this config.
    fn resume_from(&mut self, path: PathBuf) -> PyResult<()> {
        self.inner.resume_from(&path).map_err(err)
    }

    /// Run `batch` episodes with the current parameters, without training, and return the
    /// trajectories as a dict of arrays: `loss`, `dt`, `fingertip` `[B, T+1, 2·space_dim]`,
    /// `goal` `[B, T+1, space_dim]`, `target` `[B, space_dim]`, `joint` `[B, T+1, 2·dof]`,
    /// `excitation` `[B, T, M]`, `hidden` `[B, T, H]`. `task_json` (a task as in a run
    /// config, e.g. `{"name": "CentreOutReach", ...}`) and `env_json` replace the training
    /// task and environment settings.
    #[pyo3(signature = (batch, seed=0, task_json=None, env_json=None))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        batch: usize,
        seed: u64,
        task_json: Option<&str>,
        env_json: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let task = match task_json {
            Some(t) => Some(
                serde_json::from_str::<motornet_task::TaskConfig>(t)
                    .map_err(|e| err(format!("task: {e}")))?
                    .build(),
            ),
            None => None,
        };
        let env = match env_json {
            Some(t) => Some(
                serde_json::from_str::<motornet_task::EnvConfig>(t)
                    .map_err(|e| err(format!("env: {e}")))?,
            ),
            None => None,
        };
        let inner = &self.inner;
        let r = py
            .allow_threads(|| inner.evaluate(task, env.as_ref(), batch, seed, None))
            .map_err(err)?;
        rollout_dict(py, &r)
    }
}

/// A [`Rollout`] as a dict of arrays (batch first).
fn rollout_dict<'py>(py: Python<'py>, r: &Rollout) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new_bound(py);
    let b = r.fingertip.len();
    d.set_item("loss", r.loss)?;
    d.set_item("dt", r.dt)?;
    let w2 = r.target.first().map_or(0, |x| x.len());
    let t1 = r.fingertip.first().map_or(0, |x| x.len()) / (2 * w2).max(1);
    let put = |name: &str, v: &Vec<Vec<f64>>, rows: usize| -> PyResult<()> {
        let total: usize = v.iter().map(|x| x.len()).sum();
        let w = total.checked_div(b * rows).unwrap_or(0);
        d.set_item(
            name,
            to_numpy(py, v.iter().flatten().copied().collect(), &[b, rows, w])?,
        )
    };
    put("fingertip", &r.fingertip, t1)?;
    put("goal", &r.goal, t1)?;
    put("joint", &r.joint, t1)?;
    put("excitation", &r.excitation, t1.saturating_sub(1))?;
    put("hidden", &r.hidden, t1.saturating_sub(1))?;
    d.set_item(
        "target",
        to_numpy(py, r.target.iter().flatten().copied().collect(), &[b, w2])?,
    )?;
    let cue: Vec<Option<usize>> = r.go_cue.clone();
    d.set_item("go_cue", cue)?;
    Ok(d)
}

/// Principal components of activity `[samples, units]`: returns a dict with `mean`
/// `[units]`, `components` `[units, units]` (one per row, by decreasing variance),
/// `variances` `[units]`, `explained_variance_ratio` `[units]` and `projection`
/// `[samples, n_components]` onto the first `n_components`.
#[pyfunction]
#[pyo3(signature = (activity, n_components=3))]
fn pca<'py>(
    py: Python<'py>,
    activity: &Bound<'py, PyAny>,
    n_components: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (a, s) = array_nd(activity, "activity", 2, "samples × units")?;
    let p = py.allow_threads(|| Pca::fit(&a, s[0], s[1])).map_err(err)?;
    let u = p.units();
    let d = PyDict::new_bound(py);
    d.set_item("mean", to_numpy(py, p.mean().to_vec(), &[u])?)?;
    let comps: Vec<f64> = (0..u)
        .flat_map(|k| p.component(k).unwrap_or(&[]).to_vec())
        .collect();
    let nk = comps.len() / u.max(1);
    d.set_item("components", to_numpy(py, comps, &[nk, u])?)?;
    d.set_item(
        "variances",
        to_numpy(py, p.variances().to_vec(), &[p.variances().len()])?,
    )?;
    let r = p.explained_variance_ratio();
    let nr = r.len();
    d.set_item("explained_variance_ratio", to_numpy(py, r, &[nr])?)?;
    let k = n_components.min(nk);
    let mut proj = Vec::with_capacity(s[0] * k);
    for row in a.chunks(u.max(1)) {
        for c in 0..k {
            let comp = p.component(c).unwrap_or(&[]);
            proj.push(
                row.iter()
                    .zip(p.mean())
                    .zip(comp)
                    .map(|((x, m), w)| (x - m) * w)
                    .sum::<f64>(),
            );
        }
    }
    d.set_item("projection", to_numpy(py, proj, &[s[0], k])?)?;
    Ok(d)
}

/// Unit tunings as a dict of `[units]` arrays: `baseline`, `b_cos`, `b_sin`,
/// `preferred_direction_rad`, `depth`, `r2`.
fn tuning_dict<'py>(py: Python<'py>, t: &[UnitTuning]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new_bound(py);
    let n = t.len();
    type Field = (&'static str, fn(&UnitTuning) -> f64);
    let fields: [Field; 6] = [
        ("baseline", |u| u.baseline),
        ("b_cos", |u| u.b_cos),
        ("b_sin", |u| u.b_sin),
        ("preferred_direction_rad", |u| u.preferred_direction_rad),
        ("depth", |u| u.depth),
        ("r2", |u| u.r2),
    ];
    for (name, f) in fields {
        d.set_item(name, to_numpy(py, t.iter().map(f).collect(), &[n])?)?;
    }
    Ok(d)
}

/// A tuning dict as [`tuning_dict`] writes it, back as unit tunings.
fn tuning_from(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<Vec<UnitTuning>> {
    let get = |key: &str| -> PyResult<Vec<f64>> {
        let v = obj.get_item(key).map_err(|_| {
            err(format!(
                "{name}: no `{key}` (a dict as cosine_tuning returns)"
            ))
        })?;
        let (data, shape) = array(&v, &format!("{name}[{key:?}]"))?;
        if shape.len() != 1 {
            return Err(err(format!(
                "{name}[{key:?}] must have 1 dimension (units), got shape {shape:?}"
            )));
        }
        Ok(data)
    };
    let cols = [
        get("baseline")?,
        get("b_cos")?,
        get("b_sin")?,
        get("preferred_direction_rad")?,
        get("depth")?,
        get("r2")?,
    ];
    let n = cols[0].len();
    if cols.iter().any(|c| c.len() != n) {
        return Err(err(format!("{name}: its arrays differ in length")));
    }
    Ok((0..n)
        .map(|i| UnitTuning {
            baseline: cols[0][i],
            b_cos: cols[1][i],
            b_sin: cols[2][i],
            preferred_direction_rad: cols[3][i],
            depth: cols[4][i],
            r2: cols[5][i],
        })
        .collect())
}

/// Whole numbers (e.g. time steps) from an array-like of `n` entries.
fn steps(obj: &Bound<'_, PyAny>, name: &str, n: usize) -> PyResult<Vec<usize>> {
    vector(obj, name, n)?
        .into_iter()
        .map(|v| {
            if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 {
                Ok(v as usize)
            } else {
                Err(err(format!(
                    "{name}: {v} is not a step index (a whole number ≥ 0)"
                )))
            }
        })
        .collect()
}

/// Cosine tuning of each unit to reach direction around each reach's peak speed (as
/// `motornet analyze` does): the mean of `activity` `[reaches, steps, units]` over the steps
/// `peak_steps[b] ± half_width` of each reach, fitted as `baseline + b_cos·cos θ + b_sin·sin θ`
/// over the reaches' `directions` `[reaches]` (rad). Returns a dict of `[units]` arrays:
/// `baseline`, `b_cos`, `b_sin`, `preferred_direction_rad`, `depth`, `r2`.
#[pyfunction]
#[pyo3(signature = (activity, directions, peak_steps, half_width=5))]
fn cosine_tuning<'py>(
    py: Python<'py>,
    activity: &Bound<'py, PyAny>,
    directions: &Bound<'py, PyAny>,
    peak_steps: &Bound<'py, PyAny>,
    half_width: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (a, s) = array_nd(activity, "activity", 3, "reaches × steps × units")?;
    let dirs = vector(directions, "directions", s[0])?;
    let peaks = steps(peak_steps, "peak_steps", s[0])?;
    let t = py
        .allow_threads(|| {
            motornet_analysis::cosine_tuning(&a, s[0], s[1], s[2], &dirs, &peaks, half_width)
        })
        .map_err(err)?;
    tuning_dict(py, &t)
}

/// The shift of each unit's preferred direction from tuning `a` to tuning `b` (dicts as
/// [`cosine_tuning`] returns, the same units), and the circular mean over the units tuned in
/// both (fit R² ≥ `min_r2` and depth > `min_depth`). Returns a dict: `shift_rad`, `pd_a_rad`,
/// `pd_b_rad` `[units]` arrays, `counted` (a `[units]` bool array), `n_counted`,
/// `mean_shift_rad` (None when no unit counts) and `resultant_length`.
#[pyfunction]
#[pyo3(signature = (a, b, min_r2=0.5, min_depth=0.0))]
fn preferred_direction_shift<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    min_r2: f64,
    min_depth: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let (ta, tb) = (tuning_from(a, "a")?, tuning_from(b, "b")?);
    let r = motornet_analysis::preferred_direction_shift(&ta, &tb, &Tuned { min_r2, min_depth })
        .map_err(err)?;
    let n = r.units.len();
    let d = PyDict::new_bound(py);
    let col = |f: fn(&motornet_analysis::UnitShift) -> f64| r.units.iter().map(f).collect();
    d.set_item("shift_rad", to_numpy(py, col(|u| u.shift_rad), &[n])?)?;
    d.set_item("pd_a_rad", to_numpy(py, col(|u| u.pd_a_rad), &[n])?)?;
    d.set_item("pd_b_rad", to_numpy(py, col(|u| u.pd_b_rad), &[n])?)?;
    let counted: Vec<bool> = r.units.iter().map(|u| u.counted).collect();
    d.set_item("counted", numpy::PyArray1::from_vec_bound(py, counted))?;
    d.set_item("n_counted", r.counted)?;
    d.set_item("mean_shift_rad", r.mean_shift_rad)?;
    d.set_item("resultant_length", r.resultant_length)?;
    Ok(d)
}

/// Names of the effector presets.
#[pyfunction]
fn preset_names() -> Vec<String> {
    presets::NAMES.iter().map(|s| s.to_string()).collect()
}

/// The run config defaults (MotorNet's tutorial) as JSON text.
#[pyfunction]
fn default_config_json() -> PyResult<String> {
    serde_json::to_string_pretty(&TrainConfig::default()).map_err(err)
}

/// Check a run config (JSON text) without building it; returns the resolved config as JSON.
#[pyfunction]
fn resolve_config_json(config_json: &str) -> PyResult<String> {
    let c = TrainConfig::from_json(config_json).map_err(err)?;
    c.validate().map_err(err)?;
    serde_json::to_string_pretty(&c.resolved().map_err(err)?).map_err(err)
}

/// The Rust extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MotornetError", m.py().get_type_bound::<MotornetError>())?;
    m.add_class::<Effector>()?;
    m.add_class::<Env>()?;
    m.add_class::<Trainer>()?;
    m.add_function(wrap_pyfunction!(pca, m)?)?;
    m.add_function(wrap_pyfunction!(cosine_tuning, m)?)?;
    m.add_function(wrap_pyfunction!(preferred_direction_shift, m)?)?;
    m.add_function(wrap_pyfunction!(preset_names, m)?)?;
    m.add_function(wrap_pyfunction!(default_config_json, m)?)?;
    m.add_function(wrap_pyfunction!(resolve_config_json, m)?)?;
    Ok(())
}
