//! Supervision (督导): patrol (巡课, J1, J2). The school gives its patrol teachers tasks
//! (task); a patrol teacher sees the day's lessons with each one's check-ins and roll call
//! and records a visit per lesson — scores, notes, photos (patrol); the school and the
//! bureau read the records, the scores by teacher and class, and the tasks' completion
//! (report).
//!
//! Lessons and their attendance come from `attendance::record::day_of` and
//! `attendance::roll::build`; patrol teachers are the school's members holding
//! `patrol.record` (`identity::auth::members_with`).

pub mod patrol;
pub mod report;
pub mod task;
