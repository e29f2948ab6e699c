//! The whole engine never panics and accounts for every response, whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use textkit::{Config, Response, analyse};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Each line is a response, so one input exercises campaigns and themes too.
    let responses: Vec<Response> = text.lines().take(200).enumerate().map(|(i, l)| Response::new(i.to_string(), l, None)).collect();
    let a = analyse(&responses, &Config::default());
    let in_themes: std::collections::HashSet<&str> = a.themes.iter().flat_map(|t| t.members.iter().map(String::as_str)).collect();
    assert_eq!(in_themes.len() + a.unassigned.len(), responses.len());
});
