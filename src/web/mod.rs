//! The web layer: routes, thin handlers, extractors and middleware.

pub mod templates;
