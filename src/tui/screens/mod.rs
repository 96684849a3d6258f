//! One module per screen: its state, the jobs it asks for and their
//! answers, and its draw.

pub mod activity;
pub mod contacts;
pub mod detail;
pub mod enrollments;
pub mod lists;
pub mod reports;
pub mod sequences;
