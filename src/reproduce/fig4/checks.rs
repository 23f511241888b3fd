//! The checks of Fig. 4: the sequential splits of each system against spec §6.5.

use super::*;

pub(super) fn system_checks(report: &mut Report, sys: &System, facts: &[(f64, SplitFacts)]) {
    let [d1, d2, d3] = sys.digits;
    let tag = &sys.name;
    let get = |n: f64| facts.iter().find(|f| f.0 == n).map(|f| &f.1);
    let (Some(f30), Some(f3)) = (get(30.0), get(3.0)) else {
        return;
    };
    let opt = |v: Option<usize>| v.map_or(f64::NAN, |e| e as f64);
    let spec_first = if d2 == 4 { "≈ 2 030" } else { "≈ 1 230" };
    let spec_second = if d2 == 4 { "≈ 2 770" } else { "≈ 2 820–2 870" };
    report.info(
        &format!("s{tag}_n30_first_split_epoch"),
        &format!(
            "{:?} n = 30: epoch of the first major split of the clade tree",
            sys.digits
        ),
        opt(f30.first_split),
        &format!("spec §6.5: {spec_first} (one seed, reference set)"),
    );
    let (last, gap) = f30.last_pair();
    let (x, y) = PAIRS[last];
    let first_class = sys.digits[3 - x - y];
    let seps: Vec<String> = PAIRS
        .iter()
        .zip(&f30.separations)
        .map(|(&(i, j), e)| {
            format!(
                "{}/{}: {}",
                sys.digits[i],
                sys.digits[j],
                e.map_or("never".to_string(), |e| e.to_string())
            )
        })
        .collect();
    report.check_text(
        &format!("s{tag}_n30_first_separated_class"),
        &format!(
            "{:?} n = 30: the class whose memories separate first (separation epochs {})",
            sys.digits,
            seps.join(", ")
        ),
        &format!("{first_class} from a {}/{} mixture", sys.digits[x], sys.digits[y]),
        &format!("spec §6.5: \"{d1}\" first separates from a {d2}/{d3} mixture"),
        first_class == d1,
    );
    report.check(
        &format!("s{tag}_n30_sequential_gap"),
        &format!(
            "{:?} n = 30: epochs between the mixture's own split ({}/{}) and the earlier separations",
            sys.digits, sys.digits[x], sys.digits[y]
        ),
        gap.map_or(f64::NAN, |g| g as f64),
        &format!("spec §6.5: {spec_first} then {spec_second} (sequential splits); pass if ≥ 100"),
        gap.is_some_and(|g| g >= 100),
    );
    if let Some(m) = f30.mixture_alpha {
        report.info(
            &format!("s{tag}_n30_mixture_alpha_gap"),
            &format!(
                "{:?} n = 30: mixture (future {}s and {}s) at the first separation, ᾱ = ({:.2}, {:.2}, {:.2}): |ᾱ_{} − ᾱ_{}|",
                sys.digits,
                sys.digits[x],
                sys.digits[y],
                m[0],
                m[1],
                m[2],
                sys.digits[x],
                sys.digits[y]
            ),
            (m[x] - m[y]).abs(),
            if d2 == 4 {
                "spec §6.5: 4/7 mixture (0.18, 0.40, 0.42), canalised along ᾱ_4 ≈ ᾱ_7"
            } else {
                "spec §6.5: 7/9 mixture (0.14, 0.44, 0.41)"
            },
        );
    }
    let minc = *f30.final_counts.iter().min().unwrap_or(&0);
    report.check(
        &format!("s{tag}_n30_min_final_class_count"),
        &format!(
            "{:?} n = 30: fewest memories with ℓ ≥ 0.99 among the three digits (counts {:?})",
            sys.digits, f30.final_counts
        ),
        minc as f64,
        if d2 == 4 {
            "spec §6.5: 29 / 28 / 37 — every class ends with memories; pass if ≥ 5"
        } else {
            "spec §6.5: 29 / 43 / 28 (argmax); pass if ≥ 5"
        },
        minc >= MAJOR_CLADE,
    );
    report.info(
        &format!("s{tag}_n3_first_split_epoch"),
        &format!(
            "{:?} n = 3: epoch of the first major split of the clade tree",
            sys.digits
        ),
        opt(f3.first_split),
        "spec §6.5: ≈ 360",
    );
    let ratio = match (f3.first_split, f30.first_split) {
        (Some(a), Some(b)) if b > 0 => a as f64 / b as f64,
        _ => f64::NAN,
    };
    report.expect(
        &format!("s{tag}_split_epoch_ratio_n3_n30"),
        &format!("{:?}: first major split epoch n = 3 / n = 30", sys.digits),
        ratio,
        "spec §6.5: 360 / 2 030 = 0.18 (n = 3 splits much earlier); pass if ≤ 0.5",
        Criterion::AtMost { bound: 0.5 },
    );
    report.expect(
        &format!("s{tag}_n3_labels_per_memory"),
        &format!(
            "{:?} n = 3: labels ≥ 0.99 per memory (n = 30: {:.2})",
            sys.digits, f30.labels_per_memory
        ),
        f3.labels_per_memory,
        "spec §6.5: 127 labels ≥ 0.99 for 100 memories at n = 3 (feature-like); pass if > the n = 30 value",
        Criterion::Above {
            bound: f30.labels_per_memory,
        },
    );
    report.expect(
        &format!("s{tag}_n3_min_alpha"),
        &format!(
            "{:?} n = 3: most negative final ᾱ (n = 30: {:.2})",
            sys.digits, f30.min_alpha
        ),
        f3.min_alpha,
        "spec §6.5: n = 3 clusters such as (0.83, −0.04, −0.44), strongly signed; pass if < −0.1",
        Criterion::Below { bound: -0.1 },
    );
}
