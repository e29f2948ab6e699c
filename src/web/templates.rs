//! The template environment: page templates under `templates/`, embedded at build time.
//!
//! GOV.UK Frontend components are reproduced as macros in `templates/components/`,
//! one file per component, each taking a single `params` map shaped like the options of
//! the component's Nunjucks macro, so `tests/it/govuk_components.rs` can check them against
//! the `fixtures.json` examples shipped in the `govuk-frontend` npm package.

use crate::domain::time;
use minijinja::value::{Value, ValueKind};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, syntax::SyntaxConfig};

/// Builds the environment with every embedded template and Townhall's filters.
///
/// Values print as in Nunjucks, so the GOV.UK components match the package's HTML: `true` and
/// `false` in lower case, and `none` as nothing.
/// The templates, with dates and times written for people in `time_zone`.
pub fn environment(time_zone: time::Zone) -> Environment<'static> {
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
    // Like Nunjucks (and HTML attributes such as `aria-expanded`), booleans print as `true` and
    // `false`, not Python's `True`/`False`; `none` prints nothing rather than "none".
    env.set_formatter(|out, state, value| match value.kind() {
        ValueKind::Bool => Ok(out.write_str(if value.is_true() { "true" } else { "false" })?),
        ValueKind::None => Ok(()),
        // HTML-escape as Nunjucks and Jinja do (`&<>"'`), leaving `/` alone so that URLs and
        // feeds read as written; every attribute is quoted, so `/` needs no escaping.
        _ if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() => {
            let text = match value.as_str() {
                Some(s) => std::borrow::Cow::Borrowed(s),
                None => std::borrow::Cow::Owned(value.to_string()),
            };
            let mut escaped = String::with_capacity(text.len() + 16);
            for c in text.chars() {
                match c {
                    '&' => escaped.push_str("&amp;"),
                    '<' => escaped.push_str("&lt;"),
                    '>' => escaped.push_str("&gt;"),
                    '"' => escaped.push_str("&quot;"),
                    '\'' => escaped.push_str("&#39;"),
                    c => escaped.push(c),
                }
            }
            out.write_str(&escaped)?;
            Ok(())
        }
        _ => minijinja::escape_formatter(out, state, value),
    });
    env.add_filter("govuk_attributes", govuk_attributes);
    env.add_filter("error_list", error_list);
    env.add_filter("error_for", error_for);
    let zone = time_zone.clone();
    env.add_filter("datetime", move |t: i64| zone.long_date_time(t.into()));
    env.add_filter("date", move |t: i64| time_zone.long_date(t.into()));
    env.add_filter("paragraphs", paragraphs);
    env.add_filter("rfc3339", |t: i64| time::rfc3339(t));
    env.add_filter("register_label", |v: &str| {
        crate::domain::programme::label_of(v)
    });
    minijinja_embed::load_templates!(&mut env);
    env
}

/// Renders a GOV.UK Frontend `attributes` param as ` name="value"` pairs, like the package's
/// `govukAttributes` Nunjucks macro (`macros/attributes.njk`).
///
/// A string is trusted markup and passed through. In a map, each value is either the value
/// itself or `{value, optional}`: a missing value renders `name=""`; an optional attribute is
/// left out when its value is missing or `false`, and rendered as a bare `name` when `true`.
fn govuk_attributes(attributes: Value) -> Value {
    if let Some(markup) = attributes.as_str()
        && (attributes.kind() == ValueKind::String)
    {
        return Value::from_safe_string(markup.to_owned());
    }
    let mut html = String::new();
    if attributes.kind() != ValueKind::Map {
        return Value::from_safe_string(html);
    }
    let Ok(names) = attributes.try_iter() else {
        return Value::from_safe_string(html);
    };
    for name in names {
        let item = attributes.get_item(&name).unwrap_or_default();
        let (value, optional) = if item.kind() == ValueKind::Map {
            let optional = item
                .get_attr("optional")
                .is_ok_and(|o| o.kind() == ValueKind::Bool && o.is_true());
            (item.get_attr("value").unwrap_or_default(), optional)
        } else {
            (item, false)
        };
        let missing = value.is_undefined() || value.is_none();
        let is_bool = value.kind() == ValueKind::Bool;
        let name = escape_html(&name.to_string());
        if optional && is_bool && value.is_true() {
            html.push(' ');
            html.push_str(&name);
        } else if !optional || !(missing || (is_bool && !value.is_true())) {
            let text = if missing {
                String::new()
            } else if is_bool {
                String::from(if value.is_true() { "true" } else { "false" })
            } else {
                value.to_string()
            };
            // Markup (`|safe`) is already escaped; anything else is escaped here.
            let text = if value.is_safe() {
                text
            } else {
                escape_html(&text)
            };
            html.push_str(&format!(" {name}=\"{text}\""));
        }
    }
    Value::from_safe_string(html)
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Turns `[{field, message}]` validation errors into the error summary's `errorList`, each
/// linking to its field (`#field`), as the GOV.UK pattern asks.
fn error_list(errors: Value) -> Value {
    let items: Vec<Value> = errors
        .try_iter()
        .map(|it| {
            it.map(|e| {
                let field = e.get_attr("field").unwrap_or_default();
                let message = e.get_attr("message").unwrap_or_default();
                minijinja::context! { text => message, href => format!("#{field}") }
            })
            .collect()
        })
        .unwrap_or_default();
    Value::from(items)
}

/// The message for one field, shaped as a component's `errorMessage` param, or `none`
/// (which the components treat as no error).
fn error_for(errors: Value, field: &str) -> Value {
    let found = errors.try_iter().ok().and_then(|mut it| {
        it.find(|e| {
            e.get_attr("field")
                .ok()
                .and_then(|f| f.as_str().map(|f| f == field))
                .unwrap_or(false)
        })
    });
    match found {
        Some(e) => minijinja::context! { text => e.get_attr("message").unwrap_or_default() },
        None => Value::from(()),
    }
}

/// Splits plain text (a comment, an answer) into paragraphs at blank lines, for `<p>` each.
fn paragraphs(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Templates see a moment as its Unix seconds, and format it with `date`, `datetime` and
/// `rfc3339`.
impl From<crate::domain::time::Timestamp> for Value {
    fn from(t: crate::domain::time::Timestamp) -> Value {
        Value::from(t.secs())
    }
}
