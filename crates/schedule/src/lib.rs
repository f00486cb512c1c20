//! Scheduling for kehou (E1, G2, G3): a timetabling solver that never double-books and
//! explains infeasibility, an independent checker, and FET file interchange. Pure domain
//! code: no IO, no database, no async.

pub mod assign;
pub mod check;
pub mod diagnose;
pub mod fet;
pub mod model;
pub mod solve;

pub use check::{Report, Violation, check};
pub use model::{Activity, Constraint, Instance, Placement, Room, Rule, Slot, StudentSet};
pub use solve::{Options, Progress, Solution, solve};

#[cfg(test)]
mod tests;
