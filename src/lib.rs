//! seqtui: a terminal app for sales teams who run email sequences.
//! `domain` is the one door for every change, `store` the only place SQL
//! is written; `cli` and `tui` are the two faces over them; `config` reads
//! the rules file; `log` the log file of the long-running parts.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod engine;
pub mod log;
pub mod session;
pub mod store;
pub mod text;
pub mod tls;
pub mod tui;
