//! Shared pieces of the reduced-system figures (Figs. 5, 6) and the bifurcating network's Figure 1:
//! multi-panel PNG composition ([`panels`]); the two-sample pair and its reduced flow are the
//! library's ([`crate::reduced::pair`]).

pub mod panels;
