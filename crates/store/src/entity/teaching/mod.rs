//! Teaching classes, the weekly timetable and its settings, dated lessons, schedule runs
//! and calendar feeds.

pub mod calendar_feed;
pub mod class;
pub mod class_student;
pub mod class_teacher;
pub mod day_end;
pub mod lesson;
pub mod lesson_teacher;
pub mod preference;
pub mod run;
pub mod slot;
