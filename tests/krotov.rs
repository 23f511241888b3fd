//! The Krotov–Hopfield 2016 recipe learns real digits: a shortened run on the embedded MNIST set
//! (the full recipe's numbers are in the README and come from `examples/krotov2016-*.toml`).

use waddington::config::RunConfig;
use waddington::dam::model::Form;

#[test]
fn krotov_recipe_learns_the_embedded_digits() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/krotov2016-mnist10k.toml"
    ))
    .expect("example config");
    let mut c =
        RunConfig::from_toml_str(&text, std::path::Path::new("krotov2016-mnist10k.toml")).expect("config");
    assert_eq!(c.model.form, Form::Krotov2016);
    c.data.per_class = 200;
    c.data.test_per_class = 100;
    c.train.minibatches = 20;
    c.train.epochs = 25;
    c.train.save_every = 25;
    c.threads = 1;
    let dir = tempfile::tempdir().expect("tmp");
    let s = waddington::dam::run::run(&c, &dir.path().join("r"), &mut |_, _| true).expect("run");
    let test = s.test.expect("held-out evaluation");
    eprintln!(
        "train accuracy {:.3}, held-out accuracy {:.3}",
        s.train.accuracy, test.accuracy
    );
    assert!(s.train.accuracy > 0.85, "train accuracy {}", s.train.accuracy);
    assert!(test.accuracy > 0.75, "held-out accuracy {}", test.accuracy);
}
