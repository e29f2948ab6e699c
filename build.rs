//! Embeds the page templates into the binary so that `townhall` is one file.
fn main() {
    minijinja_embed::embed_templates!("templates", &[".html", ".xml", ".txt"][..]);
}
