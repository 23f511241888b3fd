//! Colours, colour maps and the embedded font shared by every figure.
//!
//! * [`Colormap::bwr`] is matplotlib's "bwr": linear in RGB through blue (0,0,1), white (1,1,1) and
//!   red (1,0,0); memories are drawn with vmin = −1, vmax = +1 (spec `reference-experiments.md`
//!   §4.1, §4.12).
//! * [`Colormap::viridis`] is a sequential map for heat maps (9 stops of matplotlib's viridis,
//!   linearly interpolated).
//! * [`tab10`] are matplotlib's ten categorical colours, used for digit classes (spec §3.6).
//! * The font is DejaVu Sans from the `dejavu` crate, registered with plotters' `ab_glyph` font
//!   table under the family name `"sans-serif"`, so text renders on a machine with no system fonts.

use plotters::style::{FontStyle, RGBColor};
use std::sync::Once;

/// The font family every figure uses (registered from the embedded DejaVu Sans).
pub const FONT: &str = "sans-serif";

static FONT_ONCE: Once = Once::new();

/// Register the embedded DejaVu Sans (regular, bold, oblique) as plotters' `"sans-serif"`.
/// Idempotent; called by every rendering entry point before drawing.
pub fn ensure_font() {
    FONT_ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by the `dejavu` crate; registration cannot
        // fail for them, and a failure would only mean text is missing, so it is ignored.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
        let _ = plotters::style::register_font(FONT, FontStyle::Oblique, dejavu::sans::oblique());
        let _ = plotters::style::register_font(FONT, FontStyle::Italic, dejavu::sans::oblique());
    });
}

/// matplotlib's tab10 categorical colours (class `c` gets `tab10(c)`, cycling after 10).
pub fn tab10(c: usize) -> RGBColor {
    const T: [(u8, u8, u8); 10] = [
        (0x1f, 0x77, 0xb4),
        (0xff, 0x7f, 0x0e),
        (0x2c, 0xa0, 0x2c),
        (0xd6, 0x27, 0x28),
        (0x94, 0x67, 0xbd),
        (0x8c, 0x56, 0x4b),
        (0xe3, 0x77, 0xc2),
        (0x7f, 0x7f, 0x7f),
        (0xbc, 0xbd, 0x22),
        (0x17, 0xbe, 0xcf),
    ];
    let (r, g, b) = T[c % 10];
    RGBColor(r, g, b)
}

/// A fallback colour cycle for unnamed series (tab10 order).
pub fn cycle(i: usize) -> RGBColor {
    tab10(i)
}

/// A colour map: equally spaced RGB stops in [0, 1], linearly interpolated, with a value range
/// [vmin, vmax] mapped to [0, 1] (values outside are clipped, NaN maps to light grey).
#[derive(Debug, Clone, PartialEq)]
pub struct Colormap {
    /// Short name (shown nowhere; for debugging and the CLI).
    pub name: &'static str,
    /// RGB stops, each channel in [0, 1], equally spaced along the map.
    pub stops: Vec<[f64; 3]>,
}

impl Colormap {
    /// matplotlib "bwr": blue → white → red, linear in RGB.
    pub fn bwr() -> Self {
        Colormap {
            name: "bwr",
            stops: vec![[0.0, 0.0, 1.0], [1.0, 1.0, 1.0], [1.0, 0.0, 0.0]],
        }
    }

    /// Sequential viridis (9 stops of matplotlib's table).
    pub fn viridis() -> Self {
        let hex = [
            0x440154, 0x482777, 0x3f4a8a, 0x31678e, 0x26838f, 0x1f9d8a, 0x6cce5a, 0xb6de2b, 0xfee825,
        ];
        Colormap {
            name: "viridis",
            stops: hex
                .iter()
                .map(|h| {
                    [
                        ((h >> 16) & 0xff) as f64 / 255.0,
                        ((h >> 8) & 0xff) as f64 / 255.0,
                        (h & 0xff) as f64 / 255.0,
                    ]
                })
                .collect(),
        }
    }

    /// A colour map by name: `bwr` or `viridis`.
    pub fn by_name(name: &str) -> Option<Self> {
        match name {
            "bwr" => Some(Self::bwr()),
            "viridis" => Some(Self::viridis()),
            _ => None,
        }
    }

    /// The colour at position t ∈ [0, 1] (clipped) as 8-bit RGB.
    pub fn at(&self, t: f64) -> RGBColor {
        if t.is_nan() {
            return RGBColor(0xd0, 0xd0, 0xd0);
        }
        let t = t.clamp(0.0, 1.0);
        let n = self.stops.len() - 1;
        let s = t * n as f64;
        let i = (s.floor() as usize).min(n - 1);
        let f = s - i as f64;
        let (a, b) = (self.stops[i], self.stops[i + 1]);
        let ch = |k: usize| ((a[k] + f * (b[k] - a[k])) * 255.0).round().clamp(0.0, 255.0) as u8;
        RGBColor(ch(0), ch(1), ch(2))
    }

    /// The colour of value v for the range [vmin, vmax]: `at((v − vmin)/(vmax − vmin))`.
    pub fn map(&self, v: f64, vmin: f64, vmax: f64) -> RGBColor {
        self.at((v - vmin) / (vmax - vmin))
    }
}

/// Axis-description font size in pixels.
pub const LABEL_SIZE: u32 = 20;
/// Tick-label font size in pixels.
pub const TICK_SIZE: u32 = 15;
/// Title font size in pixels.
pub const TITLE_SIZE: u32 = 22;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bwr_matches_matplotlib_stops() {
        let c = Colormap::bwr();
        assert_eq!(c.map(-1.0, -1.0, 1.0), RGBColor(0, 0, 255));
        assert_eq!(c.map(0.0, -1.0, 1.0), RGBColor(255, 255, 255));
        assert_eq!(c.map(1.0, -1.0, 1.0), RGBColor(255, 0, 0));
        // Half-way from white to red: (1, 0.5, 0.5).
        assert_eq!(c.map(0.5, -1.0, 1.0), RGBColor(255, 128, 128));
        assert_eq!(c.map(5.0, -1.0, 1.0), RGBColor(255, 0, 0));
    }
}
