//! Newton's method for square systems and bisection for scalar ones.

use crate::linalg::small::{jacobian, norm, relative_steps, solve};

/// Damped Newton's method for a square system F(x) = 0 with a central-difference Jacobian
/// (relative steps, [`relative_steps`]) and a backtracking line search (the step is halved, up to
/// 30 times, until |F| decreases). The residual is exact, so the root is exact to round-off; only
/// the rate depends on the Jacobian. Returns `None` unless |F| < tol within `max_iter` steps.
pub fn newton<F: Fn(&[f64]) -> Vec<f64>>(f: &F, x0: &[f64], tol: f64, max_iter: usize) -> Option<Vec<f64>> {
    let n = x0.len();
    let mut x = x0.to_vec();
    let mut fx = f(&x);
    if fx.len() != n {
        return None;
    }
    let mut r = norm(&fx);
    for _ in 0..max_iter {
        if r < tol {
            return Some(x);
        }
        let j = jacobian(f, &x, &relative_steps(&x), n);
        let step = solve(&j, &fx)?;
        let mut t = 1.0;
        let mut ok = false;
        for _ in 0..30 {
            let xt: Vec<f64> = x.iter().zip(&step).map(|(a, s)| a - t * s).collect();
            let ft = f(&xt);
            let rt = norm(&ft);
            if rt < r || rt < tol {
                x = xt;
                fx = ft;
                r = rt;
                ok = true;
                break;
            }
            t *= 0.5;
        }
        if !ok {
            break;
        }
    }
    (r < tol).then_some(x)
}

/// Bisection for a sign change of g on [a, b], to absolute width `tol` (0: to the last bit).
/// An exact zero is returned as found; a NaN counts as the sign of g(a). The caller checks that
/// g(a)·g(b) ≤ 0 (or uses [`root`]).
pub fn bisect<G: Fn(f64) -> f64>(g: G, mut a: f64, mut b: f64, tol: f64) -> f64 {
    let mut ga = g(a);
    for _ in 0..200 {
        if (b - a).abs() <= tol {
            break;
        }
        let mid = 0.5 * (a + b);
        if mid == a || mid == b {
            break;
        }
        let gm = g(mid);
        if gm == 0.0 {
            return mid;
        }
        if gm.is_nan() || (gm > 0.0) == (ga > 0.0) {
            a = mid;
            ga = gm;
        } else {
            b = mid;
        }
    }
    0.5 * (a + b)
}

/// The zero of g on [lo, hi] to the last bit, if g changes sign there ([`bisect`]).
pub fn root<G: Fn(f64) -> f64>(g: G, lo: f64, hi: f64) -> Option<f64> {
    let (glo, ghi) = (g(lo), g(hi));
    if glo.signum() == ghi.signum() {
        return None;
    }
    Some(bisect(g, lo, hi, 0.0))
}

/// Times in [t0, t1] at which a discrete signature changes (the numbers of minima and saddles of
/// a landscape, the set of stable equilibria, …), scanned with step `dt` and bisected to 1e−9;
/// each change is reported with the signatures at the scan points on either side.
pub fn signature_changes<S, F>(t0: f64, t1: f64, dt: f64, sig: F) -> Vec<(f64, S, S)>
where
    S: PartialEq + Clone,
    F: Fn(f64) -> S,
{
    let mut out = Vec::new();
    let n = ((t1 - t0) / dt).ceil() as usize;
    let mut prev_t = t0;
    let mut prev = sig(t0);
    for k in 1..=n {
        let t = (t0 + k as f64 * dt).min(t1);
        let s = sig(t);
        if s != prev {
            let (mut lo, mut hi) = (prev_t, t);
            while hi - lo > 1e-9 {
                let mid = 0.5 * (lo + hi);
                if sig(mid) == prev {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((hi, prev.clone(), s.clone()));
        }
        prev = s;
        prev_t = t;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newton_finds_the_intersection_of_a_circle_and_a_line() {
        let f = |x: &[f64]| vec![x[0] * x[0] + x[1] * x[1] - 2.0, x[0] - x[1]];
        let x = newton(&f, &[2.0, 0.5], 1e-13, 50).unwrap();
        assert!((x[0] - 1.0).abs() < 1e-12 && (x[1] - 1.0).abs() < 1e-12);
    }

    #[test]
    fn bisection_reaches_sqrt2_to_the_last_bit() {
        let r = root(|x| x * x - 2.0, 0.0, 2.0).unwrap();
        assert!((r - 2f64.sqrt()).abs() <= f64::EPSILON * 2.0);
        assert!(root(|x| x * x + 1.0, -1.0, 1.0).is_none());
        let r = bisect(|x| x - 0.3, 0.0, 1.0, 1e-6);
        assert!((r - 0.3).abs() < 1e-6);
    }

    #[test]
    fn signature_changes_are_located() {
        let ch = signature_changes(0.0, 1.0, 0.1, |t| (t > 0.437) as u8);
        assert_eq!(ch.len(), 1);
        assert!((ch[0].0 - 0.437).abs() < 2e-9 && ch[0].1 == 0 && ch[0].2 == 1);
    }
}
