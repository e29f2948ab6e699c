//! Townhall's integration tests, in one test binary (`cargo test --test it`): one module per
//! area. Each test spawns its own app on its own database: SQLite by default, PostgreSQL
//! when `TOWNHALL_TEST_POSTGRES` is set to a server URL (see `support.rs`).
mod accounts;
mod alerts;
mod analyse_cli;
mod analytics;
mod backup;
mod chain;
mod cli;
mod conversations;
mod drafts;
mod feeds;
mod foundation;
mod govuk_components;
mod groups_cli;
mod hostile;
mod ideas_api;
mod listening;
mod mail;
mod media;
mod nodes;
mod openapi;
mod page_cache;
mod polis_interchange;
mod process;
mod programme;
mod publishing;
mod sanitise;
mod smtp;
mod statements;
mod subscriptions;
mod support;
mod syndication;
mod upgrade;
mod wordpress;
