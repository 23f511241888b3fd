//! Modern Hopfield networks with controlled bifurcations (spec `bifurcating-hopfield.md`).
//!
//! The network (spec §3.4): τ dx/dt = Σ_μ ξ^μ softmax_μ(β u(m)) − x with overlaps
//! m^ = Ξᵀx/N, m = g m^ (g = C⁻¹, C = ΞᵀΞ/N) and u_μ = m^μ − λ ∂V/∂m_μ (convention C, default),
//! where V(z; θ(t)) is a pseudo-potential on a landscape z = z(m) = Σ_μ m_μ z_μ and θ(t) follows a
//! schedule. Submodules:
//! * [`potentials`], [`polynomial`]: the potential library (§5) and user expressions (§5.7);
//! * [`critical`]: all critical points, classified (§6.1);
//! * [`bifurcation`]: continuation, folds, two-parameter fold curves, connections (§6.3–6.4);
//! * [`patterns`]: pattern builders, C, g, overlaps (§3.1–3.2, §8.2);
//! * [`network`]: full and reduced dynamics, equilibria, margins, Lyapunov function (§3–4);
//! * [`schedule`]: parameter schedules (§7.1, §10.1);
//! * [`ode`]: Dormand–Prince 5(4) with events, Euler–Maruyama;
//! * [`scenario`]: TOML scenarios, simulation runs, the Figure-1 demo (§7);
//! * [`data`]: the vendored krumsiek11 table and the optional Guo 2010 loader (§9);
//! * [`rdata`]: a reader for R's XDR serialisation (`.rda`), used by the Guo loader (§9.2).

pub mod bifurcation;
pub mod critical;
pub mod data;
pub mod figures;
pub mod network;
pub mod ode;
pub mod patterns;
pub mod polynomial;
pub mod potentials;
pub mod rdata;
pub mod scenario;
pub mod schedule;
