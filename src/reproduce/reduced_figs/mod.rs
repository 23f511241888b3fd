//! Shared pieces of the reduced-system figures (Figs. 5, 6) and the bifurcating network's Figure 1:
//! the two-sample pair and its reduced flow ([`pair`]), multi-panel PNG composition ([`panels`]).

pub mod pair;
pub mod panels;
