//! The pseudo-potential library V(z; θ) of spec §5: a trait for any smooth potential, and
//! polynomial potentials (built-ins and user expressions) with exact derivatives.

use super::polynomial::{self, Polynomial};
use crate::error::{Error, Result};
use std::collections::BTreeMap;

/// A smooth potential V(z; θ) on ℝ^d with control parameters θ ∈ ℝ^k (spec §5, §10.1).
pub trait Potential: Send + Sync + std::fmt::Debug {
    /// Short name.
    fn name(&self) -> &str;
    /// Names of the landscape coordinates (length d).
    fn var_names(&self) -> &[String];
    /// Names of the parameters (length k).
    fn param_names(&self) -> &[String];
    /// Default parameter values (length k).
    fn param_defaults(&self) -> &[f64];
    /// V(z; θ).
    fn value(&self, z: &[f64], p: &[f64]) -> f64;
    /// ∇_z V into `out` (length d).
    fn gradient(&self, z: &[f64], p: &[f64], out: &mut [f64]);
    /// ∇²_z V into `out` (row-major d×d).
    fn hessian(&self, z: &[f64], p: &[f64], out: &mut [f64]);
    /// Dimension d.
    fn dim(&self) -> usize {
        self.var_names().len()
    }
    /// Exact candidate critical points when the potential has a closed-form elimination
    /// (spec §6.1); `None` means "use the general multi-start search only".
    fn exact_critical_candidates(&self, _p: &[f64]) -> Option<Vec<Vec<f64>>> {
        None
    }
    /// Upper bound on the total z-degree if polynomial (used to size the search box).
    fn degree(&self) -> Option<u32> {
        None
    }
}

/// Families with a closed-form elimination of the critical-point equations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Family {
    /// V = x⁴ + y⁴ + y³ − κx²y − a·x + b·y + c·y² (optionally y-mirrored), spec §5.1, §6.1.
    HeteroclinicFlip { mirror: bool },
}

/// A polynomial potential with exact gradient and Hessian polynomials (spec §5.7).
#[derive(Debug, Clone)]
pub struct PolyPotential {
    name: String,
    vars: Vec<String>,
    params: Vec<String>,
    defaults: Vec<f64>,
    /// The expression it was built from.
    pub expression: String,
    poly: Polynomial,
    grad: Vec<Polynomial>,
    hess: Vec<Polynomial>,
    family: Option<Family>,
}

impl PolyPotential {
    /// Build from an expression, the variable names and the parameters with their defaults
    /// (in order). Every identifier of the expression must be a variable or a parameter.
    pub fn new(name: &str, expression: &str, vars: &[&str], params: &[(&str, f64)]) -> Result<Self> {
        let vars: Vec<String> = vars.iter().map(|s| s.to_string()).collect();
        let pnames: Vec<String> = params.iter().map(|(s, _)| s.to_string()).collect();
        if vars.is_empty() {
            return Err(Error::invalid(
                "potential.vars",
                "at least one variable is needed",
            ));
        }
        for (i, v) in vars.iter().chain(&pnames).enumerate() {
            if vars.iter().chain(&pnames).skip(i + 1).any(|w| w == v) {
                return Err(Error::invalid("potential", format!("name '{v}' is used twice")));
            }
        }
        let poly = polynomial::parse(expression, &vars, &pnames)?;
        let d = vars.len();
        let grad: Vec<Polynomial> = (0..d).map(|k| poly.derivative(k)).collect();
        let hess = (0..d * d).map(|ij| grad[ij / d].derivative(ij % d)).collect();
        Ok(PolyPotential {
            name: name.to_string(),
            vars,
            params: pnames,
            defaults: params.iter().map(|(_, v)| *v).collect(),
            expression: expression.to_string(),
            poly,
            grad,
            hess,
            family: None,
        })
    }

    /// A user-defined polynomial (spec §5.7): parameters are all identifiers that are not
    /// variables, in order of appearance, with defaults from `defaults` (missing ones are 0).
    pub fn user(expression: &str, vars: &[String], defaults: &BTreeMap<String, f64>) -> Result<Self> {
        let ids = polynomial::identifiers(expression)?;
        let params: Vec<(String, f64)> = ids
            .into_iter()
            .filter(|s| !vars.contains(s))
            .map(|s| {
                let v = defaults.get(&s).copied().unwrap_or(0.0);
                (s, v)
            })
            .collect();
        for k in defaults.keys() {
            if !params.iter().any(|(s, _)| s == k) {
                return Err(Error::invalid(
                    format!("potential.params.{k}"),
                    "not a parameter of the expression",
                ));
            }
        }
        let vr: Vec<&str> = vars.iter().map(|s| s.as_str()).collect();
        let pr: Vec<(&str, f64)> = params.iter().map(|(s, v)| (s.as_str(), *v)).collect();
        Self::new("polynomial", expression, &vr, &pr)
    }

    /// The polynomial.
    pub fn polynomial(&self) -> &Polynomial {
        &self.poly
    }
}

impl Potential for PolyPotential {
    fn name(&self) -> &str {
        &self.name
    }
    fn var_names(&self) -> &[String] {
        &self.vars
    }
    fn param_names(&self) -> &[String] {
        &self.params
    }
    fn param_defaults(&self) -> &[f64] {
        &self.defaults
    }
    fn value(&self, z: &[f64], p: &[f64]) -> f64 {
        self.poly.eval(z, p)
    }
    fn gradient(&self, z: &[f64], p: &[f64], out: &mut [f64]) {
        for (o, g) in out.iter_mut().zip(&self.grad) {
            *o = g.eval(z, p);
        }
    }
    fn hessian(&self, z: &[f64], p: &[f64], out: &mut [f64]) {
        for (o, h) in out.iter_mut().zip(&self.hess) {
            *o = h.eval(z, p);
        }
    }
    fn degree(&self) -> Option<u32> {
        Some(self.poly.degree_z())
    }
    fn exact_critical_candidates(&self, p: &[f64]) -> Option<Vec<Vec<f64>>> {
        match self.family? {
            Family::HeteroclinicFlip { mirror } => {
                let (a, b, c, kappa) = (p[0], p[1], p[2], p[3]);
                let pts = heteroclinic_candidates(a, b, c, kappa);
                Some(if mirror {
                    pts.into_iter().map(|z| vec![z[0], -z[1]]).collect()
                } else {
                    pts
                })
            }
        }
    }
}

/// Candidate critical points of V = x⁴ + y⁴ + y³ − κx²y − a·x + b·y + c·y² by elimination
/// (spec §6.1, generalised to κ): for x ≠ 0, y = (4x³ − a)/(2κx) and, with q = 4x³ − a, s = 2κx,
/// the real roots of 4q³ + 3s·q² − κx²s³ + b·s³ + 2c·s²·q = 0 (degree 9; κ = 4 gives the spec's
/// 4q³ + 24x q² − 2048x⁵ + 128c x² q + 512b x³). For a = 0 add x = 0 with 4y³ + 3y² + 2cy + b = 0.
pub fn heteroclinic_candidates(a: f64, b: f64, c: f64, kappa: f64) -> Vec<Vec<f64>> {
    use polynomial::{upoly_add, upoly_mul};
    let q = [-a, 0.0, 0.0, 4.0];
    let s = [0.0, 2.0 * kappa];
    let q2 = upoly_mul(&q, &q);
    let q3 = upoly_mul(&q2, &q);
    let s2 = upoly_mul(&s, &s);
    let s3 = upoly_mul(&s2, &s);
    let sc = |v: &[f64], k: f64| v.iter().map(|x| x * k).collect::<Vec<f64>>();
    let mut poly = sc(&q3, 4.0);
    poly = upoly_add(&poly, &sc(&upoly_mul(&s, &q2), 3.0));
    poly = upoly_add(&poly, &sc(&upoly_mul(&[0.0, 0.0, 1.0], &s3), -kappa));
    poly = upoly_add(&poly, &sc(&s3, b));
    poly = upoly_add(&poly, &sc(&upoly_mul(&s2, &q), 2.0 * c));
    let mut out = Vec::new();
    if kappa != 0.0 {
        for x in polynomial::real_roots(&poly) {
            if x.abs() > 1e-12 {
                out.push(vec![x, (4.0 * x * x * x - a) / (2.0 * kappa * x)]);
            }
        }
    }
    if a.abs() < 1e-9 {
        for y in polynomial::real_roots(&[b, 2.0 * c, 3.0, 4.0]) {
            out.push(vec![0.0, y]);
        }
    }
    out
}

/// The built-in potentials (spec §5) with their CLI names.
pub const BUILTIN_NAMES: &[&str] = &[
    "heteroclinic-flip",
    "heteroclinic-flip-mirrored",
    "binary-choice",
    "binary-flip",
    "cusp",
    "cusp-m",
    "triple-cusp",
];

/// Heteroclinic flip, spec §5.1: V = x⁴ + y⁴ + y³ − κx²y − a·x + b·y + c·y², c = −1, κ = 4
/// reproduce the paper. `mirror` gives V(x, −y) (the public follow-up code's orientation).
pub fn heteroclinic_flip(mirror: bool) -> PolyPotential {
    let (e, name) = if mirror {
        (
            "x^4 + y^4 - y^3 + kappa*x^2*y - a*x - b*y + c*y^2",
            "heteroclinic-flip-mirrored",
        )
    } else {
        (
            "x^4 + y^4 + y^3 - kappa*x^2*y - a*x + b*y + c*y^2",
            "heteroclinic-flip",
        )
    };
    let mut p = PolyPotential::new(
        name,
        e,
        &["x", "y"],
        &[("a", 0.0), ("b", -1.0), ("c", -1.0), ("kappa", 4.0)],
    )
    .expect("built-in expression parses");
    p.family = Some(Family::HeteroclinicFlip { mirror });
    p
}

/// Binary choice / dual cusp, spec §5.2: the heteroclinic-flip family with c = +1.
pub fn binary_choice() -> PolyPotential {
    let mut p = heteroclinic_flip(false);
    p.name = "binary-choice".into();
    p.defaults = vec![0.0, 0.5, 1.0, 4.0];
    p
}

/// Binary flip (Sáez), spec §5.3: V = x⁴ + y⁴ + x³ − 2xy² − x² + p1·x + p2·y.
pub fn binary_flip() -> PolyPotential {
    PolyPotential::new(
        "binary-flip",
        "x^4 + y^4 + x^3 - 2*x*y^2 - x^2 + p1*x + p2*y",
        &["x", "y"],
        &[("p1", 0.0), ("p2", 0.0)],
    )
    .expect("built-in expression parses")
}

/// Cusp normal form embedded in 2-D, spec §5.4: V = x⁴ + a·x² + b·x + ½y².
/// Bistable iff 8a³ + 27b² < 0.
pub fn cusp() -> PolyPotential {
    PolyPotential::new(
        "cusp",
        "x^4 + a*x^2 + b*x + 0.5*y^2",
        &["x", "y"],
        &[("a", -1.0), ("b", 0.0)],
    )
    .expect("built-in expression parses")
}

/// The paper's cusp written on m (identity embedding, P = 3), spec §5.5:
/// V(m) = w⁴ + a·w² + b·w + ½m₀², w = m₂ − m₁.
pub fn cusp_m() -> PolyPotential {
    PolyPotential::new(
        "cusp-m",
        "(m2 - m1)^4 + a*(m2 - m1)^2 + b*(m2 - m1) + 0.5*m0^2",
        &["m0", "m1", "m2"],
        &[("a", -1.0), ("b", 0.0)],
    )
    .expect("built-in expression parses")
}

/// Triple cusp (follow-up code form), spec §5.6: V = x⁶ − x⁴ + x² + 2x²y + 4y⁴ − y² + f·x + k·y.
pub fn triple_cusp() -> PolyPotential {
    PolyPotential::new(
        "triple-cusp",
        "x^6 - x^4 + x^2 + 2*x^2*y + 4*y^4 - y^2 + f*x + k*y",
        &["x", "y"],
        &[("f", 0.0), ("k", 0.0)],
    )
    .expect("built-in expression parses")
}

/// A built-in potential by name (see [`BUILTIN_NAMES`]).
pub fn builtin(name: &str) -> Result<PolyPotential> {
    Ok(match name {
        "heteroclinic-flip" => heteroclinic_flip(false),
        "heteroclinic-flip-mirrored" => heteroclinic_flip(true),
        "binary-choice" | "dual-cusp" => binary_choice(),
        "binary-flip" => binary_flip(),
        "cusp" => cusp(),
        "cusp-m" => cusp_m(),
        "triple-cusp" => triple_cusp(),
        _ => {
            return Err(Error::invalid(
                "potential",
                format!(
                    "unknown potential '{name}'; built-ins: {}",
                    BUILTIN_NAMES.join(", ")
                ),
            ));
        }
    })
}

/// Parameter vector from the defaults overridden by `(name, value)` pairs; unknown names are an
/// error listing the potential's parameters.
pub fn resolve_params(pot: &dyn Potential, overrides: &[(String, f64)]) -> Result<Vec<f64>> {
    let mut p = pot.param_defaults().to_vec();
    for (k, v) in overrides {
        let Some(i) = pot.param_names().iter().position(|n| n == k) else {
            return Err(Error::invalid(
                format!("parameter '{k}'"),
                format!(
                    "not a parameter of {} (parameters: {:?})",
                    pot.name(),
                    pot.param_names()
                ),
            ));
        };
        if !v.is_finite() {
            return Err(Error::invalid(format!("parameter '{k}'"), "must be finite"));
        }
        p[i] = *v;
    }
    Ok(p)
}

/// Largest deviation between the analytic gradient/Hessian and central finite differences at
/// (z, θ) (step h), relative to 1 + |value| — a self-check for user-supplied potentials.
pub fn finite_difference_check(pot: &dyn Potential, z: &[f64], p: &[f64], h: f64) -> f64 {
    let d = pot.dim();
    let mut g = vec![0.0; d];
    let mut hs = vec![0.0; d * d];
    pot.gradient(z, p, &mut g);
    pot.hessian(z, p, &mut hs);
    let mut worst: f64 = 0.0;
    let mut zp = z.to_vec();
    let mut gp = vec![0.0; d];
    let mut gm = vec![0.0; d];
    for k in 0..d {
        zp[k] = z[k] + h;
        let vp = pot.value(&zp, p);
        pot.gradient(&zp, p, &mut gp);
        zp[k] = z[k] - h;
        let vm = pot.value(&zp, p);
        pot.gradient(&zp, p, &mut gm);
        zp[k] = z[k];
        worst = worst.max(((vp - vm) / (2.0 * h) - g[k]).abs() / (1.0 + g[k].abs()));
        for j in 0..d {
            let fd = (gp[j] - gm[j]) / (2.0 * h);
            worst = worst.max((fd - hs[j * d + k]).abs() / (1.0 + hs[j * d + k].abs()));
        }
    }
    worst
}
