//! ArgKP (IBM Debater): group the arguments of each topic and stance into themes and compare
//! with the key points experts matched them to.
//!
//! Per topic+stance, and averaged over them: ARI and NMI on arguments with exactly one key
//! point (unassigned arguments form one extra cluster), Hungarian-matched F1 between themes and
//! key points over all arguments (macro over key points, and micro), and coverage (share of
//! arguments in some theme). References: everything in one theme; plain TF-IDF + k-means with
//! the true number of key points.
//!

use super::read;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use textkit::metrics::{adjusted_rand_index, matched_f1, normalised_mutual_information};
use textkit::{Config, Response, analyse, reference};

#[derive(Default, Clone, Copy)]
struct Scores {
    ari: f64,
    nmi: f64,
    macro_f1: f64,
    micro_f1: f64,
    coverage: f64,
    themes: f64,
}

impl Scores {
    fn add(&mut self, o: &Scores) {
        self.ari += o.ari;
        self.nmi += o.nmi;
        self.macro_f1 += o.macro_f1;
        self.micro_f1 += o.micro_f1;
        self.coverage += o.coverage;
        self.themes += o.themes;
    }
    fn div(&self, n: f64) -> Scores {
        Scores {
            ari: self.ari / n,
            nmi: self.nmi / n,
            macro_f1: self.macro_f1 / n,
            micro_f1: self.micro_f1 / n,
            coverage: self.coverage / n,
            themes: self.themes / n,
        }
    }
    fn line(&self) -> String {
        format!(
            "ARI {:.3}  NMI {:.3}  F1 macro {:.3}  micro {:.3}  coverage {:.3}  themes {:.1}",
            self.ari, self.nmi, self.macro_f1, self.micro_f1, self.coverage, self.themes
        )
    }
}

/// Arguments `(id, text)` and key point ids of each (topic, stance).
type Groups = BTreeMap<(String, String), (Vec<(String, String)>, Vec<String>)>;

/// Scores a grouping (`groups[t]` = argument indices of theme t) against key points.
fn score(groups: &[Vec<usize>], n: usize, kp_of: &[Vec<usize>], kps: usize) -> Scores {
    let mut primary = vec![usize::MAX; n];
    for (t, g) in groups.iter().enumerate() {
        for &i in g {
            if primary[i] == usize::MAX {
                primary[i] = t;
            }
        }
    }
    let single: Vec<usize> = (0..n).filter(|&i| kp_of[i].len() == 1).collect();
    let truth: Vec<usize> = single.iter().map(|&i| kp_of[i][0]).collect();
    let found: Vec<usize> = single
        .iter()
        .map(|&i| {
            if primary[i] == usize::MAX {
                groups.len()
            } else {
                primary[i]
            }
        })
        .collect();
    let mut reference: Vec<Vec<usize>> = vec![Vec::new(); kps];
    for (i, ks) in kp_of.iter().enumerate() {
        for &k in ks {
            reference[k].push(i);
        }
    }
    let f1 = matched_f1(groups, &reference);
    Scores {
        ari: adjusted_rand_index(&truth, &found),
        nmi: normalised_mutual_information(&truth, &found),
        macro_f1: f1.macro_f1,
        micro_f1: f1.micro_f1,
        coverage: primary.iter().filter(|p| **p != usize::MAX).count() as f64 / n.max(1) as f64,
        themes: groups.len() as f64,
    }
}

/// Scores the engine with `cfg` on the ArgKP data in `dir`.
pub fn run(dir: &Path, cfg: &Config) -> Result<(), Box<dyn std::error::Error>> {
    if !dir.join("arguments_dev.csv").exists() {
        println!(
            "ArgKP data not found in {}: skipping it (pass --argkp DIR).",
            dir.display()
        );
        return Ok(());
    }
    let verbose = std::env::var("TK_QUIET").is_err();
    let mut overall: BTreeMap<&str, (Scores, f64)> = BTreeMap::new();
    for split in ["train", "dev"] {
        let args = read(&dir.join(format!("arguments_{split}.csv")))?;
        let kps = read(&dir.join(format!("key_points_{split}.csv")))?;
        let labels = read(&dir.join(format!("labels_{split}.csv")))?;
        let mut groups: Groups = BTreeMap::new();
        for a in &args {
            groups
                .entry((a["topic"].clone(), a["stance"].clone()))
                .or_default()
                .0
                .push((a["arg_id"].clone(), a["argument"].clone()));
        }
        for k in &kps {
            groups
                .entry((k["topic"].clone(), k["stance"].clone()))
                .or_default()
                .1
                .push(k["key_point_id"].clone());
        }
        let mut positive: HashMap<&str, Vec<&str>> = HashMap::new();
        for l in &labels {
            if l["label"] == "1" {
                positive
                    .entry(l["arg_id"].as_str())
                    .or_default()
                    .push(l["key_point_id"].as_str());
            }
        }
        let mut sums: BTreeMap<&str, Scores> = BTreeMap::new();
        let mut count = 0.0;
        if verbose {
            println!("\n== {split} ==");
        }
        for ((topic, stance), (arguments, kp_ids)) in &groups {
            if arguments.is_empty() || kp_ids.is_empty() {
                continue;
            }
            let kp_index: HashMap<&str, usize> = kp_ids
                .iter()
                .enumerate()
                .map(|(i, k)| (k.as_str(), i))
                .collect();
            let kp_of: Vec<Vec<usize>> = arguments
                .iter()
                .map(|(id, _)| {
                    positive
                        .get(id.as_str())
                        .map(|ks| ks.iter().filter_map(|k| kp_index.get(k).copied()).collect())
                        .unwrap_or_default()
                })
                .collect();
            let n = arguments.len();
            let responses: Vec<Response> = arguments
                .iter()
                .map(|(id, text)| Response::new(id.clone(), text.clone(), None))
                .collect();
            let index: HashMap<&str, usize> = arguments
                .iter()
                .enumerate()
                .map(|(i, (id, _))| (id.as_str(), i))
                .collect();

            let result = analyse(&responses, cfg);
            let engine: Vec<Vec<usize>> = result
                .themes
                .iter()
                .map(|t| t.members.iter().map(|m| index[m.as_str()]).collect())
                .collect();
            let texts: Vec<&str> = arguments.iter().map(|(_, t)| t.as_str()).collect();
            let km = reference::tfidf_kmeans(&texts, kp_ids.len(), cfg.seed);
            let mut kmeans_groups = vec![Vec::new(); kp_ids.len()];
            for (i, &c) in km.iter().enumerate() {
                kmeans_groups[c].push(i);
            }
            kmeans_groups.retain(|g| !g.is_empty());
            let one = vec![(0..n).collect::<Vec<_>>()];

            let e = score(&engine, n, &kp_of, kp_ids.len());
            let b = score(&kmeans_groups, n, &kp_of, kp_ids.len());
            let o = score(&one, n, &kp_of, kp_ids.len());
            if verbose {
                let short: String = topic.chars().take(48).collect();
                println!(
                    "{short:<48} {stance:>2} n={n:<3} kps={}  engine F1 {:.3} NMI {:.3} cov {:.2} k={} | kmeans F1 {:.3} NMI {:.3} | one F1 {:.3}",
                    kp_ids.len(),
                    e.macro_f1,
                    e.nmi,
                    e.coverage,
                    e.themes,
                    b.macro_f1,
                    b.nmi,
                    o.macro_f1
                );
            }
            sums.entry("engine").or_default().add(&e);
            sums.entry("tfidf+kmeans (true k)").or_default().add(&b);
            sums.entry("one theme").or_default().add(&o);
            count += 1.0;
        }
        println!("\n{split}: averages over {count} topic+stance groups");
        for (name, s) in &sums {
            println!("  {name:<22} {}", s.div(count).line());
            let e = overall.entry(name).or_default();
            e.0.add(s);
            e.1 += count;
        }
    }
    println!("\nall: averages over every topic+stance group (train + dev)");
    for (name, (s, c)) in &overall {
        println!("  {name:<22} {}", s.div(*c).line());
    }
    Ok(())
}
