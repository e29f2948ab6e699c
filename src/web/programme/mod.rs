pub mod admin;
pub mod api;
pub mod forms;
pub mod import;
pub mod public;
