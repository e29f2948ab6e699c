//! The real all-MiniLM-L6-v2 model, as `make model` installs it, against reference values: the
//! token ids of Hugging Face's `tokenizers` (the model's own tokenizer.json) and the vectors of
//! an independent float64 implementation of the same encoder. Skipped with a message when the
//! model is not installed, except in CI, where `make test` installs it first.

use std::path::PathBuf;

fn model() -> Option<crate::Model> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2");
    if !dir.join("model.safetensors").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the model is not installed in {}: `make test` runs `make model` first",
            dir.display()
        );
        eprintln!(
            "skipped: no model in {} (run `make model` to install it)",
            dir.display()
        );
        return None;
    }
    Some(crate::Model::load(&dir).expect("the installed model loads"))
}

/// (text, token ids, first four numbers of its vector)
const REFERENCE: [(&str, &[u32], [f32; 4]); 4] = [
    (
        "The nurses were lovely",
        &[101, 1996, 11500, 2020, 8403, 102],
        [-0.03881, 0.0302, -0.01785, 0.03789],
    ),
    (
        "staff very kind",
        &[101, 3095, 2200, 2785, 102],
        [-0.04519, -0.00094, 0.00789, -0.02689],
    ),
    (
        "Café naïve résumé — “quoted” text… ½ 東京 emoji 😀",
        &[
            101, 7668, 15743, 13746, 1517, 1523, 9339, 1524, 3793, 1529, 1092, 1879, 1755, 7861,
            29147, 2072, 100, 102,
        ],
        [-0.05246, 0.01197, 0.1, 0.00645],
    ),
    (
        "Parking!!! was $5.00, far too much?!",
        &[
            101, 5581, 999, 999, 999, 2001, 1002, 1019, 1012, 4002, 1010, 2521, 2205, 2172, 1029,
            999, 102,
        ],
        [0.09505, 0.07652, 0.06622, -0.02911],
    ),
];

#[test]
fn tokens_and_vectors_match_the_reference() {
    let Some(model) = model() else { return };
    assert_eq!(model.dim(), 384);
    assert_eq!(model.sha256().len(), 64);
    let texts: Vec<&str> = REFERENCE.iter().map(|r| r.0).collect();
    let vectors = model.embed(&texts);
    for (r, (text, tokens, start)) in REFERENCE.iter().enumerate() {
        assert_eq!(model.tokens(text), *tokens, "tokens of {text:?}");
        let v = &vectors[r * 384..(r + 1) * 384];
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "unit length, not {norm}");
        for (got, want) in v.iter().zip(start) {
            assert!(
                (got - want).abs() < 1e-4,
                "{text:?}: {:?} vs {start:?}",
                &v[..4]
            );
        }
    }
    let cos = |a: usize, b: usize| -> f32 {
        (0..384)
            .map(|i| vectors[a * 384 + i] * vectors[b * 384 + i])
            .sum()
    };
    // "The nurses were lovely" and "staff very kind" share no word but say the same thing.
    assert!(
        cos(0, 1) > cos(0, 3) + 0.3,
        "{} vs {}",
        cos(0, 1),
        cos(0, 3)
    );
}

#[test]
fn a_vector_does_not_depend_on_its_batch() {
    let Some(model) = model() else { return };
    let alone = model.embed(&["staff very kind"]);
    let texts: Vec<String> = (0..40)
        .map(|i| format!("response number {i} about the car park"))
        .chain(["staff very kind".to_string()])
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let batch = model.embed(&refs);
    assert_eq!(&batch[40 * 384..], &alone[..]);
}
