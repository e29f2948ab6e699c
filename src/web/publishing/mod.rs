pub mod admin;
pub mod api;
pub mod feeds;
pub mod old_addresses;
pub mod public;
pub mod syndication;
