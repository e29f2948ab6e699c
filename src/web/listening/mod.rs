pub mod admin;
pub mod api;
pub mod calendar;
pub mod evidence;
pub mod public;
pub mod questions;
pub mod results;
pub mod review;
