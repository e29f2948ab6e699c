//! Conversations on the site (docs/deliberation.md): `public` where anyone votes and writes
//! statements, `results` for the opinion groups, `admin` where editors open conversations
//! and moderators decide on statements and publish, `downloads` for the data in Pol.is's
//! format.

pub mod admin;
pub mod downloads;
pub mod import;
pub mod public;
pub mod results;
