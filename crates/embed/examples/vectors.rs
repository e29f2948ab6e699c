//! Prints the token ids and vector of each line of standard input as JSON Lines, to compare
//! with another implementation: `cargo run --release -p embed --example vectors -- MODEL_DIR`.

use std::io::BufRead;

fn main() {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "models/all-MiniLM-L6-v2".into());
    let model = embed::Model::load(std::path::Path::new(&dir)).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(1)
    });
    let lines: Vec<String> = std::io::stdin()
        .lock()
        .lines()
        .map_while(Result::ok)
        .collect();
    let texts: Vec<&str> = lines.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let vectors = model.embed(&texts);
    eprintln!(
        "{} texts in {:.2} s",
        texts.len(),
        started.elapsed().as_secs_f64()
    );
    for (t, v) in texts.iter().zip(vectors.chunks(model.dim())) {
        println!(
            "{}",
            serde_json::json!({"tokens": model.tokens(t), "vector": v})
        );
    }
}
