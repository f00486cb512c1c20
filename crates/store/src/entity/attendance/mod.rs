//! Attendance: check-in fences, teachers' check-ins and their requests, roll calls, leave.

pub mod check_in;
pub mod leave_request;
pub mod lesson_change;
pub mod punch_request;
pub mod roll_mark;
pub mod school_fence;
pub mod teacher_leave;
