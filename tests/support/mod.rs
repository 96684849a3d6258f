//! Real servers for the tests, started by the tests themselves on
//! 127.0.0.1 (never mocks). Share with `#[path = "support/mod.rs"] mod support;`
//! or `mod support;` from a test file in `tests/`.
#![allow(dead_code)]

pub mod certs;
pub mod dovecot;
pub mod postgres;
pub mod smtp;
