//! Embeds the page templates and the compiled front-end assets into the binary, so that
//! `townhall` is one file.
use std::path::Path;
use std::{env, fs};

fn main() {
    minijinja_embed::embed_templates!("templates", &[".html", ".xml", ".txt"][..]);
    embed_assets();
}

/// Writes `$OUT_DIR/assets.rs`: a list of `(file name, bytes)` for every file that
/// `npm run build` put in `assets/dist/`.
fn embed_assets() {
    let dist = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("assets/dist");
    println!("cargo::rerun-if-changed=assets/dist");
    let mut names: Vec<String> = match fs::read_dir(&dist) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    if !names.iter().any(|n| n == "townhall.css") {
        panic!(
            "assets/dist/townhall.css is missing: build the front-end assets first with \
             `npm ci && npm run build` (or run `make`, which does it)"
        );
    }
    names.sort();
    let mut code = String::from("&[\n");
    for name in names {
        let path = dist.join(&name);
        println!("cargo::rerun-if-changed={}", path.display());
        code.push_str(&format!(
            "    ({name:?}, include_bytes!({:?}) as &[u8]),\n",
            path.display().to_string()
        ));
    }
    code.push(']');
    fs::write(
        Path::new(&env::var("OUT_DIR").unwrap()).join("assets.rs"),
        code,
    )
    .unwrap();
}
