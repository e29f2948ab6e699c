pub mod admin;
pub mod api;
pub mod feeds;
pub mod public;
pub mod syndication;
