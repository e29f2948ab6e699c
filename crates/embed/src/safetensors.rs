//! Reading tensors out of a safetensors file: an 8-byte header length, a JSON header naming
//! each tensor's type, shape and byte range, then the data (little-endian).

use std::collections::HashMap;

#[derive(serde::Deserialize)]
struct Entry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

/// The tensors of one file, held in memory.
pub struct Tensors {
    entries: HashMap<String, Entry>,
    data: Vec<u8>,
}

impl Tensors {
    /// Parses the file's bytes.
    pub fn parse(mut bytes: Vec<u8>) -> Result<Tensors, String> {
        let bad = || "model.safetensors is not a safetensors file".to_string();
        let len = u64::from_le_bytes(
            bytes
                .get(..8)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        );
        let len = usize::try_from(len).map_err(|_| bad())?;
        let end = 8usize
            .checked_add(len)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(bad)?;
        let mut entries: HashMap<String, serde_json::Value> =
            serde_json::from_slice(&bytes[8..end]).map_err(|_| bad())?;
        entries.remove("__metadata__");
        let entries = entries
            .into_iter()
            .map(|(k, v)| Ok((k, serde_json::from_value(v).map_err(|_| bad())?)))
            .collect::<Result<HashMap<String, Entry>, String>>()?;
        bytes.drain(..end);
        Ok(Tensors {
            entries,
            data: bytes,
        })
    }

    /// The `F32` tensor `name` (or `bert.name`), checked against `dims` (0: any size).
    pub fn f32(&self, name: &str, dims: &[usize]) -> Result<Vec<f32>, String> {
        let e = self
            .entries
            .get(name)
            .or_else(|| self.entries.get(&format!("bert.{name}")))
            .ok_or_else(|| format!("the model has no tensor {name}"))?;
        let fits = e.shape.len() == dims.len()
            && e.shape.iter().zip(dims).all(|(&s, &d)| d == 0 || s == d);
        if e.dtype != "F32" || !fits {
            return Err(format!(
                "tensor {name} is {} {:?}, expected F32 {dims:?}",
                e.dtype, e.shape
            ));
        }
        let [from, to] = e.data_offsets;
        let count: usize = e.shape.iter().product();
        let bytes = self
            .data
            .get(from..to)
            .filter(|b| b.len() == count * 4)
            .ok_or_else(|| format!("tensor {name} lies outside the file"))?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}
