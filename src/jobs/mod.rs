//! Work that runs beside the web server, claimed through the database so that several nodes
//! never do one piece twice: analyses of responses, fetching subscribed feeds, telling
//! subscribers what was published, sending e-mail from the outbox, and keeping conversations'
//! opinion groups up to date.

pub mod analysis;
pub mod conversations;
pub mod idle;
pub mod mail;
pub mod notices;
pub mod relay;
pub mod syndication;
