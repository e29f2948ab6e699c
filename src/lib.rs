//! Townhall: publish, listen, turn what people said into evidence, show progress.
//!
//! See ARCHITECTURE.md for the map of the code.

pub mod analyse;
pub mod cli;
pub mod web;
