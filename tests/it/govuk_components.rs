//! The GOV.UK Frontend components in `templates/components/` produce the same HTML as the
//! package's own Nunjucks templates.
//!
//! Every example in each component's `fixtures.json` (shipped in the `govuk-frontend` npm
//! package) is rendered through our minijinja macro and compared with the fixture's `html`
//! after both are parsed with html5ever and written out in a canonical form: attributes
//! sorted, `class` tokens sorted, whitespace in text collapsed and trimmed, comments dropped.
//! Nothing else is forgiven. A fixture that neither matches nor is listed in [`SKIPPED`]
//! fails the test, so a package upgrade that adds or changes examples is noticed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use scraper::{Html, Node};

/// The components Townhall reproduces, by their directory name in the package.
const COMPONENTS: &[&str] = &[
    "back-link",
    "breadcrumbs",
    "button",
    "character-count",
    "checkboxes",
    "date-input",
    "details",
    "error-message",
    "error-summary",
    "fieldset",
    "hint",
    "input",
    "inset-text",
    "label",
    "notification-banner",
    "pagination",
    "panel",
    "phase-banner",
    "radios",
    "select",
    "service-navigation",
    "skip-link",
    "summary-list",
    "table",
    "tag",
    "textarea",
    "warning-text",
];

/// Fixtures we knowingly do not reproduce: (component, fixture name, why).
const SKIPPED: &[(&str, &str, &str)] = &[];

fn components_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/govuk-frontend/dist/govuk/components")
}

/// `back-link` → `govukBackLink`.
fn macro_name(component: &str) -> String {
    let mut name = String::from("govuk");
    for part in component.split('-') {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            name.extend(first.to_uppercase());
            name.push_str(chars.as_str());
        }
    }
    name
}

/// Writes `html` (a fragment) in the canonical form described in the module docs, one node a
/// line, indented, so that a mismatch shows as a readable diff.
fn canonical(html: &str) -> String {
    let fragment = Html::parse_fragment(html);
    let mut out = String::new();
    // The fragment's root is an `<html>` element wrapping the parsed nodes.
    for child in fragment.root_element().children() {
        write_node(child, 0, &mut out);
    }
    out
}

fn write_node(node: ego_tree::NodeRef<'_, Node>, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth);
    match node.value() {
        Node::Text(text) => {
            let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if !collapsed.is_empty() {
                let _ = writeln!(out, "{indent}{collapsed:?}");
            }
        }
        Node::Element(element) => {
            let mut attributes: Vec<(String, String)> = element
                .attrs()
                .map(|(name, value)| {
                    let value = if name == "class" {
                        let tokens: BTreeSet<&str> = value.split_whitespace().collect();
                        tokens.into_iter().collect::<Vec<_>>().join(" ")
                    } else {
                        value.to_owned()
                    };
                    (name.to_owned(), value)
                })
                .collect();
            attributes.sort();
            let _ = write!(out, "{indent}<{}", element.name());
            for (name, value) in &attributes {
                let _ = write!(out, " {name}={value:?}");
            }
            let _ = writeln!(out, ">");
            for child in node.children() {
                write_node(child, depth + 1, out);
            }
            let _ = writeln!(out, "{indent}</{}>", element.name());
        }
        _ => {}
    }
}

/// The fixture's options as a template value: JSON `null` is `none`, as in the Nunjucks
/// templates' `null`.
fn to_value(json: &serde_json::Value) -> minijinja::Value {
    use serde_json::Value as Json;
    match json {
        Json::Null => minijinja::Value::from(()),
        Json::Bool(b) => minijinja::Value::from(*b),
        Json::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => minijinja::Value::from(i),
            (None, Some(f)) => minijinja::Value::from(f),
            (None, None) => minijinja::Value::from(n.to_string()),
        },
        Json::String(s) => minijinja::Value::from(s.as_str()),
        Json::Array(items) => items.iter().map(to_value).collect(),
        Json::Object(map) => {
            minijinja::Value::from_pairs(map.iter().map(|(k, v)| (k.as_str(), to_value(v))))
        }
    }
}

#[test]
fn canonical_form_forgives_only_whitespace_and_attribute_order() {
    let reference = canonical(r#"<a href="/x" class="govuk-link app-link">Read <b>more</b></a>"#);
    assert_eq!(
        reference,
        canonical(
            "\n  <a class=\"app-link  govuk-link\"\n href='/x'>\n    Read\n <b>more</b>\n</a>\n"
        ),
    );
    for different in [
        r#"<a href="/y" class="govuk-link app-link">Read <b>more</b></a>"#,
        r#"<a href="/x" class="govuk-link">Read <b>more</b></a>"#,
        r#"<a href="/x" class="govuk-link app-link" hidden>Read <b>more</b></a>"#,
        r#"<a href="/x" class="govuk-link app-link">Read <i>more</i></a>"#,
        r#"<a href="/x" class="govuk-link app-link">Read &lt;b&gt;more&lt;/b&gt;</a>"#,
        r#"<a href="/x" class="govuk-link app-link">Read more</a>"#,
    ] {
        assert_ne!(reference, canonical(different), "{different}");
    }
}

#[derive(serde::Deserialize)]
struct Fixtures {
    fixtures: Vec<Fixture>,
}

#[derive(serde::Deserialize)]
struct Fixture {
    name: String,
    options: serde_json::Value,
    html: String,
}

#[test]
fn govuk_components_match_the_package_fixtures() {
    let dir = components_dir();
    assert!(
        dir.is_dir(),
        "GOV.UK Frontend is not installed: run `npm ci` (looked for {})",
        dir.display()
    );

    let mut env = townhall::web::templates::environment(Default::default());
    let mut failures = Vec::new();
    let mut seen = BTreeSet::new();
    let mut report = String::new();
    let (mut total_pass, mut total_skip, mut total) = (0, 0, 0);

    for component in COMPONENTS {
        let path = dir.join(component).join("fixtures.json");
        let json = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()));
        let fixtures: Fixtures = serde_json::from_str(&json)
            .unwrap_or_else(|error| panic!("parsing {}: {error}", path.display()));

        // The name ends in .html so that autoescaping is on, as in a page template.
        let template_name = format!("fixture-{component}.html");
        let macro_name = macro_name(component);
        env.add_template_owned(
            template_name.clone(),
            format!(
                "{{% from \"components/{component}.html\" import {macro_name} %}}{{{{ {macro_name}(params) }}}}"
            ),
        )
        .expect("the fixture template parses");

        let (mut pass, mut skip) = (0, 0);
        for fixture in &fixtures.fixtures {
            total += 1;
            seen.insert((component.to_string(), fixture.name.clone()));
            let skipped = SKIPPED
                .iter()
                .find(|(c, name, _)| c == component && *name == fixture.name);
            let rendered = env.get_template(&template_name).and_then(|template| {
                template.render(minijinja::context! {
                    params => to_value(&fixture.options),
                })
            });
            let outcome = match rendered {
                Ok(html) => {
                    let (ours, theirs) = (canonical(&html), canonical(&fixture.html));
                    if ours == theirs {
                        Ok(())
                    } else {
                        Err(format!("expected:\n{theirs}\nrendered:\n{ours}"))
                    }
                }
                Err(error) => Err(format!("render error: {error:#}")),
            };
            match (outcome, skipped) {
                (Ok(()), None) => pass += 1,
                (Ok(()), Some(_)) => failures.push(format!(
                    "{component} / {:?} is in SKIPPED but now matches: remove it from the list",
                    fixture.name
                )),
                (Err(_), Some(_)) => skip += 1,
                (Err(diff), None) => {
                    failures.push(format!("{component} / {:?} differs:\n{diff}", fixture.name))
                }
            }
        }
        total_pass += pass;
        total_skip += skip;
        let _ = writeln!(
            report,
            "{component:<20} {pass:>3}/{:<3} pass, {skip} skipped",
            fixtures.fixtures.len()
        );
    }
    for (component, name, _) in SKIPPED {
        if !seen.contains(&(component.to_string(), name.to_string())) {
            failures.push(format!(
                "SKIPPED lists {component} / {name:?}, which is not a fixture of the package"
            ));
        }
    }
    let _ = writeln!(
        report,
        "{:<20} {total_pass:>3}/{total:<3} pass, {total_skip} skipped",
        "all"
    );
    println!("{report}");
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ from GOV.UK Frontend:\n\n{}\n\n{report}",
        failures.len(),
        failures.join("\n\n")
    );
}
