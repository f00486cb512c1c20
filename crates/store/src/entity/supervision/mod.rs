//! Supervision: patrol tasks, the patrol records of lessons and their photos.

pub mod patrol_photo;
pub mod patrol_record;
pub mod patrol_task;
