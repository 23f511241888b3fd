//! Integrators (spec §10.1 "integrate"): adaptive Dormand–Prince 5(4) with dense output and
//! event location, restarting at given kinks (schedule breakpoints); Euler–Maruyama for
//! additive noise with a seeded ChaCha RNG.

use crate::error::{Error, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_distr::{Distribution, StandardNormal};

/// Options of the adaptive integrator.
#[derive(Debug, Clone, Copy)]
pub struct DpOptions {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Largest step (0 = unlimited).
    pub hmax: f64,
    /// Maximum number of accepted + rejected steps over the whole integration.
    pub max_steps: usize,
}

impl Default for DpOptions {
    fn default() -> Self {
        DpOptions {
            rtol: 1e-10,
            atol: 1e-12,
            hmax: 0.0,
            max_steps: 50_000_000,
        }
    }
}

/// The label function of an event: (t, y) ↦ integer label.
pub type Label<'a> = Box<dyn Fn(f64, &[f64]) -> i64 + 'a>;

/// A piecewise-constant observable of the state whose changes are located in time
/// (e.g. "argmax m" or "m₀ < 0.9"); the integrator reports every change.
pub struct Event<'a> {
    /// Name written to the output.
    pub name: String,
    /// The label of the state at time t.
    pub label: Label<'a>,
}

/// One located event: the label of `name` changed from `from` to `to` at time `t`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventHit {
    /// Event name.
    pub name: String,
    /// Time of the change (located by bisection on the dense output to ~1e-12 relative).
    pub t: f64,
    /// Label before.
    pub from: i64,
    /// Label after.
    pub to: i64,
}

/// Result of an integration: states at the requested output times, and located events.
#[derive(Debug, Clone)]
pub struct Solution {
    /// Output times.
    pub t: Vec<f64>,
    /// States (one row per output time).
    pub y: Vec<Vec<f64>>,
    /// Located events, in time order.
    pub events: Vec<EventHit>,
    /// Accepted steps.
    pub steps: usize,
    /// Rejected steps.
    pub rejected: usize,
}

const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
const A71: f64 = 35.0 / 384.0;
const A73: f64 = 500.0 / 1113.0;
const A74: f64 = 125.0 / 192.0;
const A75: f64 = -2187.0 / 6784.0;
const A76: f64 = 11.0 / 84.0;
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;
const D1: f64 = -12715105075.0 / 11282082432.0;
const D3: f64 = 87487479700.0 / 32700410799.0;
const D4: f64 = -10690763975.0 / 1880347072.0;
const D5: f64 = 701980252875.0 / 199316789632.0;
const D6: f64 = -1453857185.0 / 822651844.0;
const D7: f64 = 69997945.0 / 29380423.0;

/// Dense output of one accepted step (Hairer's dopri5 continuous extension, order 4).
struct Dense {
    t0: f64,
    h: f64,
    r: [Vec<f64>; 5],
}

impl Dense {
    fn eval(&self, t: f64, out: &mut [f64]) {
        let th = (t - self.t0) / self.h;
        let th1 = 1.0 - th;
        for (i, o) in out.iter_mut().enumerate() {
            *o = self.r[0][i]
                + th * (self.r[1][i] + th1 * (self.r[2][i] + th * (self.r[3][i] + th1 * self.r[4][i])));
        }
    }
}

fn axpy(out: &mut [f64], y: &[f64], h: f64, ks: &[(&[f64], f64)]) {
    for i in 0..out.len() {
        let mut s = 0.0;
        for (k, c) in ks {
            s += c * k[i];
        }
        out[i] = y[i] + h * s;
    }
}

/// Integrate dy/dt = f(t, y) from `t0` to the last of `t_out` with adaptive Dormand–Prince 5(4)
/// (spec §10.1). The step never crosses a `kink` (the integrator restarts there, so schedule
/// corners are resolved exactly). States are returned at `t_out` (sorted, ≥ t0) from the dense
/// output; label changes of `events` are located by bisection on the dense output.
pub fn dormand_prince<F>(
    mut f: F,
    t0: f64,
    y0: &[f64],
    t_out: &[f64],
    kinks: &[f64],
    events: &[Event],
    opts: &DpOptions,
) -> Result<Solution>
where
    F: FnMut(f64, &[f64], &mut [f64]),
{
    let n = y0.len();
    let t_end = *t_out
        .last()
        .ok_or_else(|| Error::invalid("t_out", "no output times"))?;
    if t_out.windows(2).any(|w| w[1] < w[0]) || t_out[0] < t0 {
        return Err(Error::invalid("t_out", "output times must be sorted and ≥ t0"));
    }
    let mut stops: Vec<f64> = kinks.iter().copied().filter(|&k| k > t0 && k < t_end).collect();
    stops.push(t_end);
    stops.sort_by(f64::total_cmp);
    stops.dedup();

    let mut sol = Solution {
        t: vec![],
        y: vec![],
        events: vec![],
        steps: 0,
        rejected: 0,
    };
    let mut next_out = 0;
    while next_out < t_out.len() && t_out[next_out] <= t0 {
        sol.t.push(t_out[next_out]);
        sol.y.push(y0.to_vec());
        next_out += 1;
    }
    let mut labels: Vec<i64> = events.iter().map(|e| (e.label)(t0, y0)).collect();
    let mut t = t0;
    let mut y = y0.to_vec();
    let mut k: Vec<Vec<f64>> = vec![vec![0.0; n]; 7];
    let mut ytmp = vec![0.0; n];
    let mut ynew = vec![0.0; n];
    let mut buf = vec![0.0; n];
    let mut h: f64 = 0.0;
    for &stop in &stops {
        f(t, &y, &mut k[0]);
        // Initial step (Hairer's heuristic, simplified).
        let sc: Vec<f64> = y.iter().map(|v| opts.atol + opts.rtol * v.abs()).collect();
        let d0 = (y.iter().zip(&sc).map(|(v, s)| (v / s).powi(2)).sum::<f64>() / n as f64).sqrt();
        let d1 = (k[0].iter().zip(&sc).map(|(v, s)| (v / s).powi(2)).sum::<f64>() / n as f64).sqrt();
        let h0 = if d0 < 1e-5 || d1 < 1e-5 {
            1e-6
        } else {
            0.01 * d0 / d1
        };
        h = if h > 0.0 { h.min(h0.max(1e-6)) } else { h0 };
        h = h.min(stop - t);
        while t < stop {
            if sol.steps + sol.rejected >= opts.max_steps {
                return Err(Error::Diverged(format!(
                    "integrator exceeded {} steps at t = {t}",
                    opts.max_steps
                )));
            }
            if opts.hmax > 0.0 {
                h = h.min(opts.hmax);
            }
            let last = t + h >= stop - 1e-14 * stop.abs().max(1.0);
            if last {
                h = stop - t;
            }
            let (k1, rest) = k.split_at_mut(1);
            let k1 = &k1[0];
            let (k2, rest) = rest.split_at_mut(1);
            let (k3, rest) = rest.split_at_mut(1);
            let (k4, rest) = rest.split_at_mut(1);
            let (k5, rest) = rest.split_at_mut(1);
            let (k6, k7) = rest.split_at_mut(1);
            let (k2, k3, k4, k5, k6, k7) = (
                &mut k2[0], &mut k3[0], &mut k4[0], &mut k5[0], &mut k6[0], &mut k7[0],
            );
            axpy(&mut ytmp, &y, h, &[(k1, A21)]);
            f(t + C2 * h, &ytmp, k2);
            axpy(&mut ytmp, &y, h, &[(k1, A31), (k2, A32)]);
            f(t + C3 * h, &ytmp, k3);
            axpy(&mut ytmp, &y, h, &[(k1, A41), (k2, A42), (k3, A43)]);
            f(t + C4 * h, &ytmp, k4);
            axpy(&mut ytmp, &y, h, &[(k1, A51), (k2, A52), (k3, A53), (k4, A54)]);
            f(t + C5 * h, &ytmp, k5);
            axpy(
                &mut ytmp,
                &y,
                h,
                &[(k1, A61), (k2, A62), (k3, A63), (k4, A64), (k5, A65)],
            );
            let tn = if last { stop } else { t + h };
            f(tn, &ytmp, k6);
            axpy(
                &mut ynew,
                &y,
                h,
                &[(k1, A71), (k3, A73), (k4, A74), (k5, A75), (k6, A76)],
            );
            f(tn, &ynew, k7);
            let mut err = 0.0;
            for i in 0..n {
                let e = h * (E1 * k1[i] + E3 * k3[i] + E4 * k4[i] + E5 * k5[i] + E6 * k6[i] + E7 * k7[i]);
                let s = opts.atol + opts.rtol * y[i].abs().max(ynew[i].abs());
                err += (e / s) * (e / s);
            }
            let err = (err / n as f64).sqrt();
            let err = if err.is_finite() { err } else { 1e10 };
            if err > 1.0 {
                sol.rejected += 1;
                h *= (0.9 * err.powf(-0.2)).max(0.2);
                if h < 1e-14 * t.abs().max(1.0) {
                    return Err(Error::Diverged(format!("step size underflow at t = {t}")));
                }
                continue;
            }
            sol.steps += 1;
            // Dense output for this step.
            let ydiff: Vec<f64> = (0..n).map(|i| ynew[i] - y[i]).collect();
            let bspl: Vec<f64> = (0..n).map(|i| h * k1[i] - ydiff[i]).collect();
            let r4: Vec<f64> = (0..n).map(|i| ydiff[i] - h * k7[i] - bspl[i]).collect();
            let r5: Vec<f64> = (0..n)
                .map(|i| h * (D1 * k1[i] + D3 * k3[i] + D4 * k4[i] + D5 * k5[i] + D6 * k6[i] + D7 * k7[i]))
                .collect();
            let dense = Dense {
                t0: t,
                h,
                r: [y.clone(), ydiff, bspl, r4, r5],
            };
            // Events.
            for (ei, ev) in events.iter().enumerate() {
                let mut cur_t = t;
                loop {
                    let lab_new = (ev.label)(tn, &ynew);
                    if lab_new == labels[ei] {
                        break;
                    }
                    // Find the first change after cur_t by bisection on [cur_t, tn].
                    let (mut lo, mut hi) = (cur_t, tn);
                    for _ in 0..200 {
                        let mid = 0.5 * (lo + hi);
                        if mid <= lo || mid >= hi {
                            break;
                        }
                        dense.eval(mid, &mut buf);
                        if (ev.label)(mid, &buf) == labels[ei] {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    if hi >= tn {
                        buf.copy_from_slice(&ynew);
                    } else {
                        dense.eval(hi, &mut buf);
                    }
                    let to = (ev.label)(hi, &buf);
                    sol.events.push(EventHit {
                        name: ev.name.clone(),
                        t: hi,
                        from: labels[ei],
                        to,
                    });
                    labels[ei] = to;
                    cur_t = hi;
                    if hi >= tn {
                        break;
                    }
                }
            }
            while next_out < t_out.len() && t_out[next_out] <= tn {
                let to = t_out[next_out];
                if to == tn {
                    buf.copy_from_slice(&ynew);
                } else {
                    dense.eval(to, &mut buf);
                }
                sol.t.push(to);
                sol.y.push(buf.clone());
                next_out += 1;
            }
            t = tn;
            std::mem::swap(&mut y, &mut ynew);
            let (a, b) = k.split_at_mut(6);
            std::mem::swap(&mut a[0], &mut b[0]);
            let fac = if err == 0.0 {
                5.0
            } else {
                (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
            };
            h *= fac;
        }
    }
    sol.events.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok(sol)
}

/// The diffusion term of an SDE dy = f dt + S dW.
#[derive(Debug, Clone)]
pub enum Noise {
    /// S = s·I (independent Wiener processes per component).
    Isotropic(f64),
    /// S = L (row-major n×n, e.g. a Cholesky factor), dW ∈ ℝⁿ.
    Matrix(Vec<f64>),
}

/// Euler–Maruyama for dy = f(t, y) dt + S·dW (spec §3.7), fixed step `dt`, ChaCha20 RNG seeded by
/// `seed` (reproducible across platforms and thread counts). States are recorded every
/// `record_every` steps (and at the start and end).
#[allow(clippy::too_many_arguments)]
pub fn euler_maruyama<F>(
    mut f: F,
    t0: f64,
    y0: &[f64],
    t_end: f64,
    dt: f64,
    noise: &Noise,
    seed: u64,
    record_every: usize,
) -> Result<(Vec<f64>, Vec<Vec<f64>>)>
where
    F: FnMut(f64, &[f64], &mut [f64]),
{
    if !(dt > 0.0 && dt.is_finite()) {
        return Err(Error::invalid("dt", "must be positive"));
    }
    if t_end.partial_cmp(&t0) != Some(std::cmp::Ordering::Greater) {
        return Err(Error::invalid("t_end", "must exceed the start time"));
    }
    let n = y0.len();
    let steps = ((t_end - t0) / dt).round() as usize;
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut y = y0.to_vec();
    let mut k = vec![0.0; n];
    let sq = dt.sqrt();
    let mut w = vec![0.0; n];
    let mut ts = vec![t0];
    let mut ys = vec![y.clone()];
    let every = record_every.max(1);
    for step in 1..=steps {
        let t = t0 + (step - 1) as f64 * dt;
        f(t, &y, &mut k);
        for wi in w.iter_mut() {
            *wi = StandardNormal.sample(&mut rng);
        }
        match noise {
            Noise::Isotropic(s) => {
                for i in 0..n {
                    y[i] += dt * k[i] + s * sq * w[i];
                }
            }
            Noise::Matrix(l) => {
                for i in 0..n {
                    let lw: f64 = (0..n).map(|j| l[i * n + j] * w[j]).sum();
                    y[i] += dt * k[i] + sq * lw;
                }
            }
        }
        if !y.iter().all(|v| v.is_finite()) {
            return Err(Error::Diverged(format!("non-finite state at t = {}", t + dt)));
        }
        if step % every == 0 || step == steps {
            ts.push(t0 + step as f64 * dt);
            ys.push(y.clone());
        }
    }
    Ok((ts, ys))
}
