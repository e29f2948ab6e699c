//! The evidence engine.
