pub mod admin;
pub mod api;
pub mod import;
pub mod public;
