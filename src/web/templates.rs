//! The template environment: page templates under `templates/`, embedded at build time.
//!
//! GOV.UK Frontend components are reproduced as macros in `templates/components/`,
//! one file per component, each taking a single `params` map shaped like the options of
//! the component's Nunjucks macro, so `tests/it/govuk_components.rs` can check them against
//! the `fixtures.json` examples shipped in the `govuk-frontend` npm package.

use minijinja::{AutoEscape, Environment, UndefinedBehavior, syntax::SyntaxConfig};

/// Builds the environment with every embedded template and Townhall's filters.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") || name.ends_with(".xml") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    minijinja_embed::load_templates!(&mut env);
    env
}
