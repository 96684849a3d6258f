//! The pieces every screen draws with: tables, boxes, the header, the
//! status line and the hint bar.

pub mod boxed;
pub mod header;
pub mod hints;
pub mod status;
pub mod table;
