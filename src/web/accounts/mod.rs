//! Accounts: signing in (`sign_in`, with its second step in `two_factor`, or through a single
//! sign-on provider in `sso`), your own account
//! (`account`), setting a password from a link (`reset`), and users and roles (`users`).
pub mod account;
pub mod reset;
pub mod sign_in;
pub mod sso;
pub mod two_factor;
pub mod users;
