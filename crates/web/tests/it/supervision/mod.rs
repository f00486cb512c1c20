//! Supervision: patrol tasks, the patrol teacher's day and records, the patrol report.

mod patrol;
