//! The sparse participants × statements vote matrix the maths runs on.

use crate::data::VoteData;

/// Compressed rows: row `r` holds participant `rows[r]`'s final vote (1, -1 or 0) on each
/// column it saw, columns ascending. Missing entries mean "not seen" and are never stored, so
/// memory follows the votes cast rather than participants × statements.
#[derive(Clone, Debug)]
pub(crate) struct VoteMatrix {
    /// Every participant of the data, in natural id order, so that results do not depend on
    /// the order the input listed them in.
    pub rows: Vec<u32>,
    /// The statements that count (not hidden, at least one vote), in natural id order.
    pub columns: Vec<u32>,
    row_start: Vec<usize>,
    col: Vec<u32>,
    val: Vec<i8>,
    /// Hidden statements with at least one vote: left out of the columns above.
    pub hidden_columns: usize,
    /// Per row, the hidden statements it voted on.
    pub hidden_votes: Vec<u32>,
}

impl VoteMatrix {
    pub fn build(data: &VoteData) -> VoteMatrix {
        let entries = data.entries();
        let hidden = data.hidden_flags();

        let mut rows: Vec<u32> = (0..data.participants().len() as u32).collect();
        rows.sort_by(|&a, &b| {
            data.participants()[a as usize].cmp(&data.participants()[b as usize])
        });
        let mut row_of = vec![0u32; rows.len()];
        for (row, &participant) in rows.iter().enumerate() {
            row_of[participant as usize] = row as u32;
        }

        let mut voted = vec![false; data.statements().len()];
        for entry in entries {
            voted[entry.statement as usize] = true;
        }
        let hidden_columns = (0..data.statements().len())
            .filter(|&s| voted[s] && hidden[s])
            .count();
        let mut hidden_pairs: Vec<(u32, u32)> = entries
            .iter()
            .filter(|e| hidden[e.statement as usize])
            .map(|e| (row_of[e.participant as usize], e.statement))
            .collect();
        hidden_pairs.sort_unstable();
        hidden_pairs.dedup();
        let mut hidden_votes = vec![0u32; rows.len()];
        for &(row, _) in &hidden_pairs {
            hidden_votes[row as usize] += 1;
        }
        drop(hidden_pairs);
        let mut columns: Vec<u32> = (0..data.statements().len() as u32)
            .filter(|&s| voted[s as usize] && !hidden[s as usize])
            .collect();
        columns.sort_by(|&a, &b| data.statements()[a as usize].cmp(&data.statements()[b as usize]));
        let mut column_of = vec![u32::MAX; data.statements().len()];
        for (column, &statement) in columns.iter().enumerate() {
            column_of[statement as usize] = column as u32;
        }

        // Bucket the votes by row (a counting sort, stable so later votes stay later), then
        // keep each row's last vote per column.
        let mut start = vec![0usize; rows.len() + 1];
        for entry in entries {
            if column_of[entry.statement as usize] != u32::MAX {
                start[row_of[entry.participant as usize] as usize + 1] += 1;
            }
        }
        for r in 0..rows.len() {
            start[r + 1] += start[r];
        }
        let mut fill = start.clone();
        let mut bucketed: Vec<(u32, i8)> = vec![(0, 0); start[rows.len()]];
        for entry in entries {
            let column = column_of[entry.statement as usize];
            if column != u32::MAX {
                let row = row_of[entry.participant as usize] as usize;
                bucketed[fill[row]] = (column, entry.vote.code());
                fill[row] += 1;
            }
        }

        let mut row_start = Vec::with_capacity(rows.len() + 1);
        let mut col = Vec::with_capacity(bucketed.len());
        let mut val = Vec::with_capacity(bucketed.len());
        row_start.push(0);
        for r in 0..rows.len() {
            let row = &mut bucketed[start[r]..start[r + 1]];
            row.sort_by_key(|&(column, _)| column); // stable: equal columns keep vote order
            for (i, &(column, vote)) in row.iter().enumerate() {
                let superseded = row.get(i + 1).is_some_and(|next| next.0 == column);
                if !superseded {
                    col.push(column);
                    val.push(vote);
                }
            }
            row_start.push(col.len());
        }
        VoteMatrix {
            rows,
            columns,
            row_start,
            col,
            val,
            hidden_columns,
            hidden_votes,
        }
    }

    /// The same matrix with the rows not in `keep` emptied: their votes then shape neither
    /// the column means nor the components, though they can still be projected.
    pub fn keep_rows(&self, keep: &[bool]) -> VoteMatrix {
        let mut out = VoteMatrix {
            rows: self.rows.clone(),
            columns: self.columns.clone(),
            row_start: Vec::with_capacity(self.row_start.len()),
            col: Vec::new(),
            val: Vec::new(),
            hidden_columns: self.hidden_columns,
            hidden_votes: self.hidden_votes.clone(),
        };
        out.row_start.push(0);
        for (r, &kept) in keep.iter().enumerate() {
            if kept {
                let (c, v) = self.row(r);
                out.col.extend_from_slice(c);
                out.val.extend_from_slice(v);
            }
            out.row_start.push(out.col.len());
        }
        out
    }

    pub fn n_rows(&self) -> usize {
        self.rows.len()
    }

    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    /// The columns row `r` voted on and its votes there.
    pub fn row(&self, r: usize) -> (&[u32], &[i8]) {
        let range = self.row_start[r]..self.row_start[r + 1];
        (&self.col[range.clone()], &self.val[range])
    }

    /// Statements row `r` voted on (passes included).
    pub fn row_votes(&self, r: usize) -> usize {
        self.row_start[r + 1] - self.row_start[r]
    }
}
