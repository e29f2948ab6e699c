//! Measures of agreement between a clustering and a reference labelling: adjusted Rand index,
//! normalised mutual information, the Hungarian algorithm, and Hungarian-matched F1 between
//! (possibly overlapping) groups.

use std::collections::HashMap;

/// Joint counts and the two marginals.
type Contingency = (
    HashMap<(usize, usize), f64>,
    HashMap<usize, f64>,
    HashMap<usize, f64>,
);

fn contingency(a: &[usize], b: &[usize]) -> Contingency {
    let mut joint = HashMap::new();
    let mut ra = HashMap::new();
    let mut rb = HashMap::new();
    for (&x, &y) in a.iter().zip(b) {
        *joint.entry((x, y)).or_insert(0.0) += 1.0;
        *ra.entry(x).or_insert(0.0) += 1.0;
        *rb.entry(y).or_insert(0.0) += 1.0;
    }
    (joint, ra, rb)
}

/// Adjusted Rand index (Hubert & Arabie 1985) of two labellings of the same items:
/// 1 for identical partitions, about 0 for chance agreement.
pub fn adjusted_rand_index(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    if n < 2.0 {
        return 1.0;
    }
    let c2 = |x: f64| x * (x - 1.0) / 2.0;
    let (joint, ra, rb) = contingency(a, b);
    let index: f64 = joint.values().map(|&v| c2(v)).sum();
    let sa: f64 = ra.values().map(|&v| c2(v)).sum();
    let sb: f64 = rb.values().map(|&v| c2(v)).sum();
    let expected = sa * sb / c2(n);
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < 1e-12 {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

/// Normalised mutual information with the arithmetic mean of the entropies (scikit-learn's
/// default): 1 for identical partitions, 0 for independent ones.
pub fn normalised_mutual_information(a: &[usize], b: &[usize]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    if n == 0.0 {
        return 1.0;
    }
    let (joint, ra, rb) = contingency(a, b);
    let h = |m: &HashMap<usize, f64>| -> f64 { m.values().map(|&v| -(v / n) * (v / n).ln()).sum() };
    let (ha, hb) = (h(&ra), h(&rb));
    if ha == 0.0 && hb == 0.0 {
        return 1.0;
    }
    let mi: f64 = joint
        .iter()
        .map(|(&(x, y), &v)| (v / n) * ((v * n) / (ra[&x] * rb[&y])).ln())
        .sum();
    let denom = (ha + hb) / 2.0;
    if denom <= 0.0 {
        0.0
    } else {
        (mi / denom).clamp(0.0, 1.0)
    }
}

/// Minimum-cost assignment of rows to columns for a rectangular cost matrix (Hungarian
/// algorithm with potentials, O(n²·m)). Returns for each row its column, or `None` when
/// there are more rows than columns and the row is left out.
pub fn hungarian(cost: &[Vec<f64>]) -> Vec<Option<usize>> {
    let rows = cost.len();
    let cols = cost.first().map_or(0, Vec::len);
    if rows == 0 || cols == 0 {
        return vec![None; rows];
    }
    // Work on a square matrix padded with zeros.
    let n = rows.max(cols);
    let at = |i: usize, j: usize| -> f64 {
        if i < rows && j < cols {
            cost[i][j]
        } else {
            0.0
        }
    };
    let inf = f64::INFINITY;
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; n + 1];
    let mut p = vec![0usize; n + 1];
    let mut way = vec![0usize; n + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![inf; n + 1];
        let mut used = vec![false; n + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = inf;
            let mut j1 = 0;
            for j in 1..=n {
                if !used[j] {
                    let cur = at(i0 - 1, j - 1) - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=n {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut out = vec![None; rows];
    for j in 1..=n {
        if p[j] > 0 && p[j] - 1 < rows && j - 1 < cols {
            out[p[j] - 1] = Some(j - 1);
        }
    }
    out
}

/// F1 between found groups and reference groups after a one-to-one Hungarian matching that
/// maximises the total F1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatchedF1 {
    /// Mean over reference groups of the F1 with the matched group (0 when unmatched).
    pub macro_f1: f64,
    /// F1 of the pooled counts: Σ matched intersections against Σ found sizes (precision)
    /// and Σ reference sizes (recall).
    pub micro_f1: f64,
}

/// Hungarian-matched F1. Groups are sets of item indices and may overlap.
pub fn matched_f1(found: &[Vec<usize>], reference: &[Vec<usize>]) -> MatchedF1 {
    if reference.is_empty() {
        return MatchedF1 {
            macro_f1: 0.0,
            micro_f1: 0.0,
        };
    }
    let sets: Vec<std::collections::HashSet<usize>> =
        found.iter().map(|g| g.iter().copied().collect()).collect();
    let inter: Vec<Vec<f64>> = reference
        .iter()
        .map(|r| {
            sets.iter()
                .map(|s| r.iter().filter(|x| s.contains(x)).count() as f64)
                .collect()
        })
        .collect();
    let f1 = |i: usize, j: usize| -> f64 {
        let both = inter[i][j];
        if both == 0.0 {
            0.0
        } else {
            2.0 * both / (reference[i].len() + found[j].len()) as f64
        }
    };
    let cost: Vec<Vec<f64>> = (0..reference.len())
        .map(|i| (0..found.len()).map(|j| -f1(i, j)).collect())
        .collect();
    let matching = if found.is_empty() {
        vec![None; reference.len()]
    } else {
        hungarian(&cost)
    };
    let macro_f1 = matching
        .iter()
        .enumerate()
        .map(|(i, m)| m.map_or(0.0, |j| f1(i, j)))
        .sum::<f64>()
        / reference.len() as f64;
    let hits: f64 = matching
        .iter()
        .enumerate()
        .map(|(i, m)| m.map_or(0.0, |j| inter[i][j]))
        .sum();
    let found_total: f64 = found.iter().map(|g| g.len() as f64).sum();
    let ref_total: f64 = reference.iter().map(|g| g.len() as f64).sum();
    let p = if found_total > 0.0 {
        hits / found_total
    } else {
        0.0
    };
    let r = if ref_total > 0.0 {
        hits / ref_total
    } else {
        0.0
    };
    let micro_f1 = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    MatchedF1 { macro_f1, micro_f1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ari_known_values() {
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]) - 1.0).abs() < 1e-12);
        // scikit-learn: adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714285714
        assert!((adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.571_428_571_4).abs() < 1e-9);
        // No pair agrees: (0 - 1.2) / (4.5 - 1.2) = -4/11, below chance.
        assert!(
            (adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 1, 2, 0, 1, 2]) + 4.0 / 11.0).abs()
                < 1e-9
        );
    }

    #[test]
    fn nmi_known_values() {
        assert!((normalised_mutual_information(&[0, 0, 1, 1], &[5, 5, 3, 3]) - 1.0).abs() < 1e-12);
        // normalized_mutual_info_score([0,0,1,1],[0,0,1,2]) = 0.8
        assert!((normalised_mutual_information(&[0, 0, 1, 1], &[0, 0, 1, 2]) - 0.8).abs() < 1e-9);
        assert!(
            normalised_mutual_information(&[0, 0, 0, 1, 1, 1], &[0, 1, 2, 0, 1, 2]).abs() < 1e-12
        );
    }

    #[test]
    fn hungarian_known_assignment() {
        // Classic example: optimal cost 5 (0→1, 1→0, 2→2).
        let cost = vec![
            vec![4.0, 1.0, 3.0],
            vec![2.0, 0.0, 5.0],
            vec![3.0, 2.0, 2.0],
        ];
        let m = hungarian(&cost);
        let total: f64 = m
            .iter()
            .enumerate()
            .map(|(i, j)| cost[i][j.expect("square")])
            .sum();
        assert_eq!(total, 5.0);
        assert_eq!(m, vec![Some(1), Some(0), Some(2)]);
        // More rows than columns: one row unmatched, the cheapest two kept.
        let m = hungarian(&[vec![1.0], vec![0.0], vec![2.0]]);
        assert_eq!(m, vec![None, Some(0), None]);
    }

    #[test]
    fn matched_f1_values() {
        let reference = vec![vec![0, 1, 2, 3], vec![4, 5]];
        let perfect = matched_f1(&[vec![4, 5], vec![0, 1, 2, 3]], &reference);
        assert_eq!(
            perfect,
            MatchedF1 {
                macro_f1: 1.0,
                micro_f1: 1.0
            }
        );
        // One group with everything: matched to the first reference group (F1 = 8/10).
        let one = matched_f1(&[vec![0, 1, 2, 3, 4, 5]], &reference);
        assert!((one.macro_f1 - 0.4).abs() < 1e-12, "{one:?}");
        // micro: hits 4, found 6, reference 6 → P = R = 2/3.
        assert!((one.micro_f1 - 2.0 / 3.0).abs() < 1e-12);
    }
}
