//! Townhall's integration tests, in one test binary (`cargo test --test it`): one module per area.
mod govuk_components;
