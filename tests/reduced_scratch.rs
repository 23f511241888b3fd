use waddington::reduced::*;
#[test]
fn scratch() {
    let sys = TwoMemory::new(PairDots::REFERENCE_ROUNDED).with_memories(2.0);
    for n in [2.0, 10.0, 20.0, 24.0, 25.0, 30.0, 35.0, 36.4, 36.5, 45.0, 55.0] {
        let c = Control { n, temperature: 700.0 };
        let t = std::time::Instant::now();
        let fps = fixed_points::fixed_points(&sys, c, Default::default());
        println!("n={n} ({:?})", t.elapsed());
        for f in fps { println!("   s={:.4} a={:.4} b={:.4} l={:.4} {:?} {:?} {:?}", f.s, f.alpha, f.beta, f.ell, f.label, f.stability, &f.eigenvalues[..f.eigen_count]); }
    }
}
