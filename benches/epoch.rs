//! `cargo bench --bench epoch`: one epoch of the Figure-3 setting on one thread against the
//! matrix-product floor measured in the same run (same as `waddington bench`).

fn main() {
    let cfg = waddington::config::RunConfig {
        threads: 1,
        ..Default::default()
    };
    match waddington::dam::bench::epoch_vs_floor(&cfg, 7, 50) {
        Ok(b) => println!(
            "epoch {:.3} ms, floor {:.3} ms ({:.1} GFLOP/s), ratio {:.3}; faer products {:.3} ms \
             ({:.1} GFLOP/s), epoch/faer {:.3}; {} code",
            b.epoch_seconds * 1e3,
            b.floor_seconds * 1e3,
            b.floor_gflops,
            b.ratio,
            b.faer_seconds * 1e3,
            b.faer_gflops,
            b.epoch_seconds / b.faer_seconds,
            b.isa
        ),
        Err(e) => {
            eprintln!("bench failed: {e}");
            std::process::exit(1);
        }
    }
}
