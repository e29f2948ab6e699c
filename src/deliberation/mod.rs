//! Deliberation (docs/deliberation.md): conversations where participants vote agree,
//! disagree or pass on short statements and write their own, and opinion groups computed
//! from the votes (crates/opinion, kept up to date by `jobs/conversations.rs`).
//!
//! - `participation`: the rules for joining, voting and writing statements, shared by the
//!   pages (`web::deliberation`) and anything else that takes part.
//! - `citing`: statements and groups as "you said, we did" cites them.
//! - `interchange`: Pol.is's export format in and out (`townhall import polis`,
//!   `townhall export polis`).

pub mod citing;
pub mod interchange;
pub mod participation;

pub use interchange::{Audience, Imported, as_export, export, import, with_groups};
