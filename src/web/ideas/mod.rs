pub mod admin;
pub mod api;
pub mod email_votes;
pub mod public;
