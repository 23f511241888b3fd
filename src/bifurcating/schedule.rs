//! Control-parameter schedules θ(t) (spec §7.1, §10.1 "schedule"): constants, piecewise-linear
//! keyframes, steps and logistic sigmoids, per parameter; the kinks are exposed so that the
//! integrator restarts there.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The time course of one parameter.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Track {
    /// p(t) = value.
    Constant(f64),
    /// Piecewise-linear through keyframes [[t, value], ...] (sorted by t), constant outside.
    Keyframes(Vec<[f64; 2]>),
    /// p(t) = before for t < at, after for t ≥ at.
    Step {
        /// Switching time.
        at: f64,
        /// Value before.
        before: f64,
        /// Value after.
        after: f64,
    },
    /// p(t) = from + (to − from)/(1 + exp(−rate (t − center))).
    Sigmoid {
        /// Value for t → −∞.
        from: f64,
        /// Value for t → +∞.
        to: f64,
        /// Rate r.
        rate: f64,
        /// Centre t_c.
        center: f64,
    },
}

impl Track {
    /// Value at time t.
    pub fn eval(&self, t: f64) -> f64 {
        match self {
            Track::Constant(v) => *v,
            Track::Keyframes(k) => {
                if t <= k[0][0] {
                    return k[0][1];
                }
                for w in k.windows(2) {
                    let ([t0, v0], [t1, v1]) = (w[0], w[1]);
                    if t <= t1 {
                        if t1 == t0 {
                            return v1;
                        }
                        let s = (t - t0) / (t1 - t0);
                        return v0 + s * (v1 - v0);
                    }
                }
                k[k.len() - 1][1]
            }
            Track::Step { at, before, after } => {
                if t < *at {
                    *before
                } else {
                    *after
                }
            }
            Track::Sigmoid {
                from,
                to,
                rate,
                center,
            } => from + (to - from) / (1.0 + (-rate * (t - center)).exp()),
        }
    }
    /// Times where the track is not smooth.
    pub fn kinks(&self) -> Vec<f64> {
        match self {
            Track::Keyframes(k) => k.iter().map(|p| p[0]).collect(),
            Track::Step { at, .. } => vec![*at],
            _ => vec![],
        }
    }
    fn validate(&self, name: &str) -> Result<()> {
        let field = format!("schedule.{name}");
        match self {
            Track::Keyframes(k) => {
                if k.is_empty() {
                    return Err(Error::invalid(field, "keyframes list is empty"));
                }
                if k.iter().flatten().any(|v| !v.is_finite()) {
                    return Err(Error::invalid(field, "keyframes must be finite"));
                }
                if k.windows(2).any(|w| w[1][0] < w[0][0]) {
                    return Err(Error::invalid(field, "keyframe times must be non-decreasing"));
                }
            }
            Track::Constant(v) if !v.is_finite() => return Err(Error::invalid(field, "must be finite")),
            Track::Sigmoid {
                from,
                to,
                rate,
                center,
            } if ![from, to, rate, center].iter().all(|v| v.is_finite()) => {
                return Err(Error::invalid(field, "sigmoid fields must be finite"));
            }
            _ => {}
        }
        Ok(())
    }
}

/// A schedule for all parameters of a potential; parameters without a track keep their value.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Parameter names (the potential's, in its order).
    pub names: Vec<String>,
    /// Values of untracked parameters.
    pub base: Vec<f64>,
    /// (parameter index, track).
    pub tracks: Vec<(usize, Track)>,
}

impl Schedule {
    /// Build from named tracks; unknown parameter names are an error listing the valid ones.
    pub fn new(names: &[String], base: &[f64], tracks: &BTreeMap<String, Track>) -> Result<Self> {
        let mut out = Vec::new();
        for (k, tr) in tracks {
            let Some(i) = names.iter().position(|n| n == k) else {
                return Err(Error::invalid(
                    format!("schedule.{k}"),
                    format!("not a parameter (parameters: {names:?})"),
                ));
            };
            tr.validate(k)?;
            out.push((i, tr.clone()));
        }
        Ok(Schedule {
            names: names.to_vec(),
            base: base.to_vec(),
            tracks: out,
        })
    }
    /// θ(t).
    pub fn eval(&self, t: f64) -> Vec<f64> {
        let mut p = self.base.clone();
        for (i, tr) in &self.tracks {
            p[*i] = tr.eval(t);
        }
        p
    }
    /// Sorted distinct kink times of all tracks.
    pub fn kinks(&self) -> Vec<f64> {
        let mut k: Vec<f64> = self.tracks.iter().flat_map(|(_, t)| t.kinks()).collect();
        k.sort_by(f64::total_cmp);
        k.dedup();
        k
    }
    /// The Figure-1 schedule of spec §7.1 for the heteroclinic flip (parameters a, b, c, κ):
    /// (0, −1) on [0, 10]; b: −1 → −2 on [10, 20]; a: 0 → a1 on [30, 40]; constant after.
    pub fn figure1(names: &[String], base: &[f64], a1: f64) -> Result<Self> {
        let mut t = BTreeMap::new();
        t.insert(
            "a".to_string(),
            Track::Keyframes(vec![[0.0, 0.0], [30.0, 0.0], [40.0, a1]]),
        );
        t.insert(
            "b".to_string(),
            Track::Keyframes(vec![[0.0, -1.0], [10.0, -1.0], [20.0, -2.0]]),
        );
        Self::new(names, base, &t)
    }
}
