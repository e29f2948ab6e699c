//! The BERT encoder's forward pass on the CPU, for a packed batch of sentences.
//!
//! Sentences are not padded: their tokens are stacked into one matrix, so every linear layer
//! is one matrix product over all the batch's tokens, and attention runs per sentence on its
//! own rows. No padding means no wasted work and no attention mask, and a sentence's vector
//! does not depend on what else is in its batch.

use crate::safetensors::Tensors;

/// The shape of the encoder, from `config.json`.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Shape {
    /// Width of every token's vector.
    pub hidden_size: usize,
    /// Transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Longest sequence the position embeddings cover.
    pub max_position_embeddings: usize,
    /// Tokens in the vocabulary.
    pub vocab_size: usize,
    /// Layer normalisation's epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f32,
    /// Only GELU (the exact, erf form) is implemented.
    #[serde(default = "default_act")]
    pub hidden_act: String,
}

fn default_eps() -> f32 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

/// A linear layer: `y = x Wᵀ + b`, with `W` stored as PyTorch does, `[out, in]`.
struct Linear {
    weight: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

struct Layer {
    /// Query, key and value as one `[3h, h]` product.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

/// The encoder's weights.
pub struct Bert {
    shape: Shape,
    word: Vec<f32>,
    position: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
}

impl Bert {
    /// Takes the weights out of a safetensors file of a `BertModel` (names with or without a
    /// `bert.` prefix).
    pub fn load(shape: Shape, t: &Tensors) -> Result<Bert, String> {
        if shape.hidden_act != "gelu" {
            return Err(format!(
                "activation {} is not supported (only gelu)",
                shape.hidden_act
            ));
        }
        let h = shape.hidden_size;
        if shape.num_attention_heads == 0 || !h.is_multiple_of(shape.num_attention_heads) {
            return Err("hidden_size is not a multiple of num_attention_heads".into());
        }
        let get = |name: &str, dims: &[usize]| t.f32(name, dims);
        let linear = |name: &str, outputs: usize, inputs: usize| -> Result<Linear, String> {
            Ok(Linear {
                weight: get(&format!("{name}.weight"), &[outputs, inputs])?,
                bias: get(&format!("{name}.bias"), &[outputs])?,
                inputs,
                outputs,
            })
        };
        let norm = |name: &str| -> Result<Norm, String> {
            Ok(Norm {
                weight: get(&format!("{name}.weight"), &[h])?,
                bias: get(&format!("{name}.bias"), &[h])?,
            })
        };
        let mut layers = Vec::with_capacity(shape.num_hidden_layers);
        for l in 0..shape.num_hidden_layers {
            let p = format!("encoder.layer.{l}");
            let q = linear(&format!("{p}.attention.self.query"), h, h)?;
            let k = linear(&format!("{p}.attention.self.key"), h, h)?;
            let v = linear(&format!("{p}.attention.self.value"), h, h)?;
            let qkv = Linear {
                weight: [q.weight, k.weight, v.weight].concat(),
                bias: [q.bias, k.bias, v.bias].concat(),
                inputs: h,
                outputs: 3 * h,
            };
            layers.push(Layer {
                qkv,
                attention_out: linear(&format!("{p}.attention.output.dense"), h, h)?,
                attention_norm: norm(&format!("{p}.attention.output.LayerNorm"))?,
                intermediate: linear(
                    &format!("{p}.intermediate.dense"),
                    shape.intermediate_size,
                    h,
                )?,
                output: linear(&format!("{p}.output.dense"), h, shape.intermediate_size)?,
                output_norm: norm(&format!("{p}.output.LayerNorm"))?,
            });
        }
        Ok(Bert {
            word: get("embeddings.word_embeddings.weight", &[shape.vocab_size, h])?,
            position: get(
                "embeddings.position_embeddings.weight",
                &[shape.max_position_embeddings, h],
            )?,
            token_type: get("embeddings.token_type_embeddings.weight", &[0, h])?
                .get(..h)
                .ok_or("the model has no token type embeddings")?
                .to_vec(),
            embedding_norm: norm("embeddings.LayerNorm")?,
            layers,
            shape,
        })
    }

    /// Width of the vectors.
    pub fn dim(&self) -> usize {
        self.shape.hidden_size
    }

    /// Longest sequence, in tokens.
    pub fn max_len(&self) -> usize {
        self.shape.max_position_embeddings
    }

    /// The mean of each sentence's final token vectors (sentence-transformers' mean pooling),
    /// written to `out` (`sentences.len() × dim`). Every sentence has at least one token and
    /// at most [`Bert::max_len`]; ids are below the vocabulary size.
    pub fn mean_pooled(&self, sentences: &[Vec<u32>], out: &mut [f32]) {
        let h = self.shape.hidden_size;
        let rows: usize = sentences.iter().map(Vec::len).sum();
        let mut x = vec![0f32; rows * h];
        let mut r = 0;
        for ids in sentences {
            for (pos, &id) in ids.iter().enumerate() {
                let row = &mut x[r * h..(r + 1) * h];
                let w = &self.word[id as usize * h..(id as usize + 1) * h];
                let p = &self.position[pos * h..(pos + 1) * h];
                for j in 0..h {
                    row[j] = w[j] + p[j] + self.token_type[j];
                }
                layer_norm(row, &self.embedding_norm, self.shape.layer_norm_eps);
                r += 1;
            }
        }
        let mut qkv = vec![0f32; rows * 3 * h];
        let mut context = vec![0f32; rows * h];
        let mut projected = vec![0f32; rows * h];
        let mut wide = vec![0f32; rows * self.shape.intermediate_size];
        let longest = sentences.iter().map(Vec::len).max().unwrap_or(0);
        let mut scores = vec![0f32; longest * longest];
        for layer in &self.layers {
            linear(&layer.qkv, &x, rows, &mut qkv);
            let mut start = 0;
            for ids in sentences {
                self.attend(&qkv, start, ids.len(), &mut scores, &mut context);
                start += ids.len();
            }
            linear(&layer.attention_out, &context, rows, &mut projected);
            add_and_norm(&mut x, &projected, &layer.attention_norm, self);
            linear(&layer.intermediate, &x, rows, &mut wide);
            wide.iter_mut().for_each(|v| *v = gelu(*v));
            linear(&layer.output, &wide, rows, &mut projected);
            add_and_norm(&mut x, &projected, &layer.output_norm, self);
        }
        let mut start = 0;
        for (s, ids) in sentences.iter().enumerate() {
            let pooled = &mut out[s * h..(s + 1) * h];
            pooled.fill(0.0);
            for r in start..start + ids.len() {
                for (o, v) in pooled.iter_mut().zip(&x[r * h..(r + 1) * h]) {
                    *o += v;
                }
            }
            let n = ids.len() as f32;
            pooled.iter_mut().for_each(|v| *v /= n);
            start += ids.len();
        }
    }

    /// Multi-head self-attention of one sentence (rows `start..start + len` of `qkv`), into
    /// the same rows of `context`.
    fn attend(
        &self,
        qkv: &[f32],
        start: usize,
        len: usize,
        scores: &mut [f32],
        context: &mut [f32],
    ) {
        let h = self.shape.hidden_size;
        let heads = self.shape.num_attention_heads;
        let d = h / heads;
        let scale = 1.0 / (d as f32).sqrt();
        let row = 3 * h;
        let scores = &mut scores[..len * len];
        for head in 0..heads {
            let q = &qkv[start * row + head * d..];
            let k = &qkv[start * row + h + head * d..];
            let v = &qkv[start * row + 2 * h + head * d..];
            // scores = scale · Q Kᵀ  (len × len)
            unsafe {
                matrixmultiply::sgemm(
                    len,
                    d,
                    len,
                    scale,
                    q.as_ptr(),
                    row as isize,
                    1,
                    k.as_ptr(),
                    1,
                    row as isize,
                    0.0,
                    scores.as_mut_ptr(),
                    len as isize,
                    1,
                );
            }
            for r in scores.chunks_mut(len) {
                softmax(r);
            }
            // context = scores V  (len × d)
            let c = &mut context[start * h + head * d..];
            unsafe {
                matrixmultiply::sgemm(
                    len,
                    len,
                    d,
                    1.0,
                    scores.as_ptr(),
                    len as isize,
                    1,
                    v.as_ptr(),
                    row as isize,
                    1,
                    0.0,
                    c.as_mut_ptr(),
                    h as isize,
                    1,
                );
            }
        }
    }
}

/// `out = x Wᵀ + b` for `rows` rows.
fn linear(l: &Linear, x: &[f32], rows: usize, out: &mut [f32]) {
    assert!(x.len() >= rows * l.inputs && out.len() >= rows * l.outputs);
    for r in out[..rows * l.outputs].chunks_mut(l.outputs) {
        r.copy_from_slice(&l.bias);
    }
    // SAFETY: the asserted lengths cover every element the strides reach.
    unsafe {
        matrixmultiply::sgemm(
            rows,
            l.inputs,
            l.outputs,
            1.0,
            x.as_ptr(),
            l.inputs as isize,
            1,
            l.weight.as_ptr(),
            1,
            l.inputs as isize,
            1.0,
            out.as_mut_ptr(),
            l.outputs as isize,
            1,
        );
    }
}

fn add_and_norm(x: &mut [f32], y: &[f32], norm: &Norm, bert: &Bert) {
    let h = bert.shape.hidden_size;
    for (row, add) in x.chunks_mut(h).zip(y.chunks(h)) {
        for (a, b) in row.iter_mut().zip(add) {
            *a += b;
        }
        layer_norm(row, norm, bert.shape.layer_norm_eps);
    }
}

fn layer_norm(row: &mut [f32], norm: &Norm, eps: f32) {
    let n = row.len() as f32;
    let mean = row.iter().sum::<f32>() / n;
    let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
    let inv = 1.0 / (var + eps).sqrt();
    for ((v, w), b) in row.iter_mut().zip(&norm.weight).zip(&norm.bias) {
        *v = (*v - mean) * inv * w + b;
    }
}

fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in row.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    row.iter_mut().for_each(|v| *v /= sum);
}

/// GELU as BERT defines it: `x · Φ(x)` with the exact normal CDF.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}
