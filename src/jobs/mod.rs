//! Work that runs beside the web server, claimed through the database so that several nodes
//! never do one piece twice: analyses of responses, fetching subscribed feeds, telling
//! subscribers what was published, and sending e-mail from the outbox.

pub mod analysis;
pub mod mail;
pub mod notices;
pub mod relay;
pub mod syndication;
