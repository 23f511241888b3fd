//! The saddle of a split (`landscape::saddle`): the splitting mode of the training rule against a
//! dense finite-difference Jacobian of the whole network, the splitting matrix against a second
//! difference of the loss, and the analysis of a real run filling every saddle field.

use ndarray::{Array1, Array2, Axis, s};
use waddington::config::Bound;
use waddington::dam::model::{Form, Params, label_weighted_outputs};
use waddington::dam::train::{Hyper, State, Trainer};
use waddington::data::{Dataset, targets_for};
use waddington::landscape::saddle::{
    ModeOperator, leading_eigenpair, sample_basis, splitting_matrix_of, splitting_mode,
};
use waddington::linalg::small::eigenvalues;

/// A tiny label-weighted system on three embedded digits (classes 1, 4, 7): memories 0–3 are one
/// clade (identical, in the span of the samples), memory 4 is another state.
fn tiny() -> (Trainer, State, Array2<f64>) {
    let data = Dataset::embedded().unwrap();
    let digits = [1usize, 4, 7];
    let idx: Vec<usize> = digits.iter().map(|&d| data.indices_of(d)[0]).collect();
    let x = data.images.select(Axis(0), &idx);
    let t = targets_for(&digits);
    let w = (&x.row(0) * 0.3 + &x.row(1) * 0.3 + &x.row(2) * 0.2).mapv(|v| v * 0.5);
    let other = &x.row(2) * 0.6;
    let mut m = Array2::zeros((5, 784));
    let mut l = Array2::from_elem((5, 10), -0.5);
    for a in 0..4 {
        m.row_mut(a).assign(&w);
        l[[a, 1]] = 0.3;
        l[[a, 4]] = 0.2;
    }
    m.row_mut(4).assign(&other);
    l[[4, 7]] = 0.5;
    let dots: Vec<f64> = (0..3).map(|p| w.dot(&x.row(p))).collect();
    let temperature = dots.iter().fold(0.0f64, |a, &b| a.max(b)) * 1.2;
    let mut hyper = Hyper::paper(Params {
        n: 3.0,
        m: 2.0,
        temperature,
    });
    hyper.rate = 0.01;
    hyper.bound = Bound::Normalise;
    let tr = Trainer::new(
        Form::LabelWeighted,
        hyper,
        x.clone(),
        t,
        vec![vec![0, 1, 2]],
        0,
        faer::Par::Seq,
    )
    .unwrap();
    (tr, State::new(m, l), x)
}

/// Dense Jacobian of one epoch of the whole network in span coordinates (every memory: r basis
/// coefficients + 10 labels), by central differences, row-major.
fn dense_span_jacobian(tr: &mut Trainer, st: &State, q: &Array2<f64>) -> (Vec<f64>, usize) {
    let (k, r) = (st.memories.nrows(), q.ncols());
    let per = r + 10;
    let n = k * per;
    let h = 1e-6;
    let coords = |s: &State| -> Array1<f64> {
        let mut v = Array1::zeros(n);
        for a in 0..k {
            v.slice_mut(s![a * per..a * per + r])
                .assign(&q.t().dot(&s.memories.row(a)));
            v.slice_mut(s![a * per + r..(a + 1) * per])
                .assign(&s.labels.row(a));
        }
        v
    };
    let mut jac = vec![0.0; n * n];
    for a in 0..k {
        for j in 0..per {
            let mut sp = st.clone();
            let mut sn = st.clone();
            if j < r {
                sp.memories.row_mut(a).scaled_add(h, &q.column(j));
                sn.memories.row_mut(a).scaled_add(-h, &q.column(j));
            } else {
                sp.labels[[a, j - r]] += h;
                sn.labels[[a, j - r]] -= h;
            }
            tr.epoch(&mut sp, 0);
            tr.epoch(&mut sn, 0);
            let col = (coords(&sp) - coords(&sn)) / (2.0 * h);
            for i in 0..n {
                jac[i * n + a * per + j] = col[i];
            }
        }
    }
    (jac, n)
}

#[test]
fn the_splitting_mode_is_an_eigenvalue_of_the_dense_jacobian_and_arnoldi_finds_the_leading_one() {
    let (mut tr, st, x) = tiny();
    let q = sample_basis(x.view()).unwrap();
    assert_eq!(q.ncols(), 3);
    let (jac, n) = dense_span_jacobian(&mut tr, &st, &q);
    let full = eigenvalues(&jac, n);
    // The antisymmetric operator, densely: A e_j for every coordinate.
    let mut op = ModeOperator::new(&mut tr, st.clone(), 0, vec![0, 2], vec![1, 3], &q).unwrap();
    let dim = op.dim();
    assert_eq!(dim, 13);
    let mut a = vec![0.0; dim * dim];
    for j in 0..dim {
        let mut e = Array1::zeros(dim);
        e[j] = 1.0;
        let col = op.apply(e.view());
        for i in 0..dim {
            a[i * dim + j] = col[i];
        }
    }
    let anti = eigenvalues(&a, dim);
    // With identical clade members the antisymmetric subspace is invariant: each of its
    // eigenvalues is an eigenvalue of the whole network's Jacobian.
    for &(re, im) in &anti {
        let gap = full
            .iter()
            .map(|&(r2, i2)| (r2 - re).hypot(i2 - im.abs()).min((r2 - re).hypot(i2 + im.abs())))
            .fold(f64::INFINITY, f64::min);
        assert!(
            gap < 1e-5 * re.hypot(im).max(1.0),
            "λ = {re} + {im}i not in the dense spectrum (gap {gap})"
        );
    }
    let lead = anti.iter().map(|&(r, i)| r.hypot(i)).fold(0.0f64, f64::max);
    // Arnoldi with the whole space is exact.
    let ep = leading_eigenpair(&mut |v| op.apply(v), dim, dim).unwrap();
    assert_eq!(ep.krylov, dim);
    let g = ep.re.hypot(ep.im);
    assert!((g - lead).abs() < 1e-7 * lead, "{g} vs {lead}");
    assert!(ep.residual < 1e-6, "residual {}", ep.residual);
    // The leading growth is not the trivial 1: the clade's antisymmetric modes are driven.
    assert!((lead - 1.0).abs() > 1e-4, "growth {lead}");
    // splitting_mode agrees and its direction lies in the sample span.
    let obs = &q.column(0) + &q.column(1);
    let mode = splitting_mode(&mut tr, st, 0, (vec![0, 2], vec![1, 3]), &q, obs.view()).unwrap();
    assert!(
        (mode.growth_per_epoch - lead).abs() < 1e-3 * lead,
        "{mode:?} vs {lead}"
    );
    assert!((0.0..=1.0).contains(&mode.cosine_observed) && (0.0..=1.0).contains(&mode.label_share));
}

#[test]
fn the_splitting_matrix_is_the_second_difference_of_the_loss() {
    let (tr, st, x) = tiny();
    let q = sample_basis(x.view()).unwrap();
    let members = [0usize, 1, 2, 3];
    let sq = splitting_matrix_of(&tr, st.memories.view(), st.labels.view(), &members, &q).unwrap();
    let params = tr.hyper().params;
    let t = tr.targets().clone();
    let loss = |m: &Array2<f64>| -> f64 {
        let out = label_weighted_outputs(m.view(), st.labels.view(), x.view(), &params, faer::Par::Seq);
        (&out - &t).iter().map(|e| e.abs().powf(2.0 * params.m)).sum()
    };
    // L(ε): memories 0, 2 move by +εv, 1, 3 by −εv; d²L/dε² = 2·(half size)·vᵀSv = 4 vᵀSv.
    for coef in [[1.0, 0.0, 0.0], [0.3, -0.5, 0.8], [0.0, 1.0, 1.0]] {
        let c = Array1::from(coef.to_vec());
        let v = q.dot(&c) * 20.0;
        let at = |eps: f64| {
            let mut m = st.memories.clone();
            for (a, sign) in [(0, 1.0), (2, 1.0), (1, -1.0), (3, -1.0)] {
                m.row_mut(a).scaled_add(sign * eps, &v);
            }
            loss(&m)
        };
        let e = 1e-4;
        let second = (at(e) + at(-e) - 2.0 * at(0.0)) / (e * e);
        let quad = 4.0 * 400.0 * c.dot(&sq.dot(&c));
        assert!(
            (second - quad).abs() < 2e-5 * quad.abs().max(1e-12) + 1e-9,
            "second difference {second} vs 4 vᵀSv = {quad}"
        );
    }
}

const SAMPLES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/reference-200-digits.npy"
);

/// On the two-memory system (reference pair #21/#81, T = 700, η = 0.001) with both memories at
/// the symmetric fixed point, the splitting mode of the real trainer grows by 1 + η λ per epoch,
/// λ the largest eigenvalue of the reduced theory's linearised split (`reduced::splitting`), for
/// every n with a free-label fixed point where the update is differentiable (n ≥ 12).
#[test]
fn the_splitting_mode_of_two_memories_is_the_reduced_theorys_split_rate() {
    use waddington::reduced::pair::{Pair, trainer};
    use waddington::reduced::{Control, PairDots, TwoMemory, splitting};
    if !std::path::Path::new(SAMPLES).exists() {
        println!("SKIPPED: needs ../shared/fixtures/reference-200-digits.npy");
        return;
    }
    let all = waddington::npy::read_matrix(std::path::Path::new(SAMPLES), "samples").unwrap();
    let pair = Pair::of_images(all.row(21), all.row(81), [1, 4]).unwrap();
    let sys = TwoMemory::new(PairDots::from_file(std::path::Path::new(SAMPLES), 21, 81).unwrap());
    let q = sample_basis(pair.samples.view()).unwrap();
    let eta = 0.001;
    for n in [12.0, 20.0, 28.0, 40.0] {
        let c = Control {
            n,
            temperature: 700.0,
        };
        let fp = splitting::analyse(&sys, c, 0.1, 3, false).unwrap();
        let lambda = fp
            .eigenvalues
            .iter()
            .map(|e| e[0])
            .fold(f64::NEG_INFINITY, f64::max);
        let mut tr = trainer(&pair, n, 700.0, eta).unwrap();
        let m0 = &pair.samples.row(0) * fp.fixed_point.alpha + &pair.samples.row(1) * fp.fixed_point.beta;
        let mut mem = Array2::zeros((2, 784));
        let mut lab = Array2::from_elem((2, 10), -1.0);
        for k in 0..2 {
            mem.row_mut(k).assign(&m0);
            lab[[k, 1]] = fp.fixed_point.ell;
            lab[[k, 4]] = -fp.fixed_point.ell;
        }
        let mut st = State::new(mem, lab);
        for e in 0..3000 {
            tr.epoch(&mut st, e);
        }
        let obs = (&pair.samples.row(0) - &pair.samples.row(1)).to_owned();
        let mode = splitting_mode(&mut tr, st, 3000, (vec![0], vec![1]), &q, obs.view()).unwrap();
        let rate = (mode.growth_per_epoch - 1.0) / eta;
        assert!(
            (rate - lambda).abs() < 0.01 * lambda.abs(),
            "n = {n}: (growth − 1)/η = {rate}, reduced λ = {lambda}"
        );
        assert!(mode.growth_imag == 0.0 && mode.cosine_observed > 0.9, "{mode:?}");
    }
}
