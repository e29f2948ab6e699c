//! Conversations on the site (docs/deliberation.md): `public` where anyone votes and writes
//! statements, `results` for the opinion groups, `admin` where editors open conversations
//! and moderators decide on statements and publish.

pub mod admin;
pub mod public;
pub mod results;
