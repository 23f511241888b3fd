//! `report.md` / `report.json`: a figure's measured numbers next to the paper's or the spec's.

use super::{Figure, Scale};
use crate::error::{Error, Result};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The criterion a numeric quantity is checked against: its tolerance, as data. The verdict is
/// computed from it ([`Criterion::holds`]), so `report.json` carries the value, the criterion and
/// the verdict side by side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Criterion {
    /// value < bound.
    Below {
        /// The bound.
        bound: f64,
    },
    /// value ≤ bound.
    AtMost {
        /// The bound.
        bound: f64,
    },
    /// value > bound.
    Above {
        /// The bound.
        bound: f64,
    },
    /// value ≥ bound.
    AtLeast {
        /// The bound.
        bound: f64,
    },
    /// lo ≤ value ≤ hi.
    Between {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// |value − reference| ≤ tolerance.
    Near {
        /// The reference value.
        reference: f64,
        /// The tolerance.
        tolerance: f64,
    },
}

impl Criterion {
    /// Whether `v` meets the criterion (NaN never does).
    pub fn holds(self, v: f64) -> bool {
        match self {
            Criterion::Below { bound } => v < bound,
            Criterion::AtMost { bound } => v <= bound,
            Criterion::Above { bound } => v > bound,
            Criterion::AtLeast { bound } => v >= bound,
            Criterion::Between { lo, hi } => (lo..=hi).contains(&v),
            Criterion::Near { reference, tolerance } => (v - reference).abs() <= tolerance,
        }
    }

    /// The criterion in words, e.g. `< 0.15`, `∈ [24, 24.1]`, `24.08 ± 0.005`.
    pub fn describe(self) -> String {
        let f = format_number;
        match self {
            Criterion::Below { bound } => format!("< {}", f(bound)),
            Criterion::AtMost { bound } => format!("≤ {}", f(bound)),
            Criterion::Above { bound } => format!("> {}", f(bound)),
            Criterion::AtLeast { bound } => format!("≥ {}", f(bound)),
            Criterion::Between { lo, hi } => format!("∈ [{}, {}]", f(lo), f(hi)),
            Criterion::Near { reference, tolerance } => format!("{} ± {}", f(reference), f(tolerance)),
        }
    }
}

/// One reported quantity: ours, the reference value with its source, the criterion (tolerance)
/// where the check is numeric, and (where the spec states a value or a qualitative fact) whether
/// ours agrees.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// A stable key (used by tests and scripts), e.g. `max_alpha_n30`.
    pub key: String,
    /// What is measured, in words.
    pub quantity: String,
    /// Our value as printed.
    pub ours: String,
    /// Our value as a number, when it is one.
    pub value: Option<f64>,
    /// The paper's / spec's value or statement, with its source (e.g. "spec §6.2: 0.29–0.33").
    pub reference: String,
    /// The numeric criterion the verdict was computed from (`None`: a statement judged by the
    /// figure, e.g. an order or a qualitative fact, or information only).
    pub criterion: Option<Criterion>,
    /// Whether ours agrees with the reference (`None`: shown for information, nothing to check).
    pub pass: Option<bool>,
}

/// A figure's report: checks, free-text notes (markdown) and the files written.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// The data used (e.g. "embedded MNIST, 20 per class, seed 0").
    pub data: String,
    /// The protocol actually run (grid, epochs), in words.
    pub protocol: String,
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// Markdown paragraphs (observations, differences from the paper).
    pub notes: Vec<String>,
}

impl Report {
    /// An empty report for `data` run with `protocol`.
    pub fn new(data: impl Into<String>, protocol: impl Into<String>) -> Report {
        Report {
            data: data.into(),
            protocol: protocol.into(),
            ..Report::default()
        }
    }

    /// Add a numeric quantity checked against a criterion; the verdict is computed from it.
    pub fn expect(&mut self, key: &str, quantity: &str, value: f64, reference: &str, criterion: Criterion) {
        let pass = Some(criterion.holds(value));
        self.numeric(key, quantity, value, reference, Some(criterion), pass);
    }

    /// Add a numeric quantity with a verdict judged by the figure (a condition that is not a
    /// bound on the value itself, e.g. it compares two measured quantities).
    pub fn check(&mut self, key: &str, quantity: &str, value: f64, reference: &str, pass: bool) {
        self.numeric(key, quantity, value, reference, None, Some(pass));
    }

    fn numeric(
        &mut self,
        key: &str,
        quantity: &str,
        value: f64,
        reference: &str,
        criterion: Option<Criterion>,
        pass: Option<bool>,
    ) {
        self.checks.push(Check {
            key: key.into(),
            quantity: quantity.into(),
            ours: format_number(value),
            value: Some(value),
            reference: reference.into(),
            criterion,
            pass,
        });
    }

    /// Add a non-numeric quantity (e.g. a learning order) with a pass/fail verdict.
    pub fn check_text(&mut self, key: &str, quantity: &str, ours: &str, reference: &str, pass: bool) {
        self.checks.push(Check {
            key: key.into(),
            quantity: quantity.into(),
            ours: ours.into(),
            value: None,
            reference: reference.into(),
            criterion: None,
            pass: Some(pass),
        });
    }

    /// Add a quantity shown for information (no verdict).
    pub fn info(&mut self, key: &str, quantity: &str, value: f64, reference: &str) {
        self.numeric(key, quantity, value, reference, None, None);
    }

    /// Add a markdown paragraph.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The check with this key.
    pub fn get(&self, key: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.key == key)
    }

    /// The checks that have a verdict and failed.
    pub fn failed(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| c.pass == Some(false)).collect()
    }

    /// The markdown text of the report.
    pub fn markdown(&self, figure: Figure, scale: Scale, files: &[PathBuf], dir: &Path) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# {}\n", figure.title());
        let _ = writeln!(
            s,
            "Made by `waddington reproduce {} --scale {}` (waddington {}).\n",
            figure.name(),
            scale.name(),
            crate::VERSION
        );
        let _ = writeln!(s, "* **Data:** {}", self.data);
        let _ = writeln!(s, "* **Protocol:** {}\n", self.protocol);
        let _ = writeln!(s, "## Numbers\n");
        let _ = writeln!(s, "| quantity | ours | paper / spec | criterion | agrees |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for c in &self.checks {
            let verdict = match c.pass {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "—",
            };
            let criterion = c.criterion.map_or_else(|| "—".to_string(), Criterion::describe);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                cell(&c.quantity),
                cell(&c.ours),
                cell(&c.reference),
                cell(&criterion),
                verdict
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "\n## Notes\n");
            for n in &self.notes {
                let _ = writeln!(s, "{n}\n");
            }
        }
        if !files.is_empty() {
            let _ = writeln!(s, "\n## Figures\n");
            for f in files {
                let rel = f.strip_prefix(dir).unwrap_or(f).display().to_string();
                if rel.ends_with(".png") || rel.ends_with(".gif") || rel.ends_with(".svg") {
                    let _ = writeln!(s, "![{rel}]({rel})\n");
                } else {
                    let _ = writeln!(s, "* [{rel}]({rel})");
                }
            }
        }
        s
    }

    /// Write `report.md` and `report.json` into `dir` (each through a temporary file + rename).
    pub fn write(&self, dir: &Path, figure: Figure, scale: Scale, files: &[PathBuf]) -> Result<()> {
        let md = self.markdown(figure, scale, files, dir);
        write_atomic(&dir.join("report.md"), md.as_bytes())?;
        #[derive(Serialize)]
        struct Json<'a> {
            figure: &'a str,
            scale: &'a str,
            version: &'a str,
            report: &'a Report,
            files: Vec<String>,
        }
        let j = Json {
            figure: figure.name(),
            scale: scale.name(),
            version: crate::VERSION,
            report: self,
            files: files
                .iter()
                .map(|f| f.strip_prefix(dir).unwrap_or(f).display().to_string())
                .collect(),
        };
        let text = serde_json::to_string_pretty(&j)
            .map_err(|e| Error::invalid("report.json", format!("cannot serialise: {e}")))?;
        write_atomic(&dir.join("report.json"), text.as_bytes())
    }
}

/// Numbers as printed in reports: 4 significant digits, integers as integers.
pub fn format_number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == v.round() && v.abs() < 1e9 {
        format!("{v:.0}")
    } else if v.abs() >= 1e-3 && v.abs() < 1e5 {
        let digits = 3 - v.abs().log10().floor() as i32;
        format!("{v:.*}", digits.max(0) as usize)
    } else {
        format!("{v:.3e}")
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Write `bytes` to `path`, whole or not at all ([`crate::atomic`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::atomic::write_bytes(path, bytes, crate::atomic::Durability::Atomic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_printed_with_four_significant_digits() {
        assert_eq!(format_number(0.31467), "0.3147");
        assert_eq!(format_number(24.0781), "24.08");
        assert_eq!(format_number(12.0), "12");
        assert_eq!(format_number(1234.56), "1235");
        assert_eq!(format_number(2.5e-7), "2.500e-7");
    }

    #[test]
    fn markdown_lists_checks_and_verdicts() {
        let mut r = Report::new("embedded", "quick");
        r.check("a", "max α", 0.3, "0.29–0.33", true);
        r.check_text("b", "order", "1 4 7", "starts with 1", false);
        r.info("c", "time", 2.0, "—");
        r.expect(
            "d",
            "fold",
            24.08,
            "spec §6.3",
            Criterion::Between { lo: 24.0, hi: 24.1 },
        );
        r.expect("e", "gap", 0.2, "spec", Criterion::Below { bound: 0.15 });
        let md = r.markdown(Figure::Fig3, Scale::Quick, &[], Path::new("."));
        assert!(md.contains("| max α | 0.3000 | 0.29–0.33 | — | yes |"));
        assert!(md.contains("| order | 1 4 7 | starts with 1 | — | **no** |"));
        assert!(
            md.contains("| fold | 24.08 | spec §6.3 | ∈ [24, 24.10] | yes |"),
            "{md}"
        );
        assert!(md.contains("| gap | 0.2000 | spec | < 0.1500 | **no** |"), "{md}");
        assert_eq!(r.failed().len(), 2);
    }
}
