//! The one CSV reader every import shares (the programme register, the evidence log, and
//! `townhall analyse`): a header row naming the columns, then rows as long as the header.

use std::fmt;

/// A readable CSV file. Cells are as written (callers trim what they need); header names
/// are trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    /// Rows that are not entirely blank, each as long as the header.
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row's number as a spreadsheet counts it: the header is row 1.
    pub number: usize,
    pub cells: Vec<String>,
}

/// Why a file is not a [`Table`]; each names the row a person should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableError {
    NotUtf8 {
        row: usize,
    },
    Empty,
    NoHeader,
    EmptyColumnName {
        column: usize,
    },
    Unreadable {
        row: usize,
        reason: String,
    },
    Ragged {
        row: usize,
        cells: usize,
        columns: usize,
    },
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::NotUtf8 { row } => write!(
                f,
                "The file is not UTF-8 text (row {row} has a character it cannot read): save it \
                 from your spreadsheet as \u{201c}CSV UTF-8\u{201d} and upload it again"
            ),
            TableError::Empty => write!(
                f,
                "The file is empty: it needs a header row naming each column, then one row per item"
            ),
            TableError::NoHeader => write!(f, "Row 1 must be a header row naming each column"),
            TableError::EmptyColumnName { column } => write!(
                f,
                "Row 1, column {column}: the header has an empty column name"
            ),
            TableError::Unreadable { row, reason } => {
                write!(f, "Row {row} could not be read as CSV: {reason}")
            }
            TableError::Ragged {
                row,
                cells,
                columns,
            } => write!(
                f,
                "Row {row} has {cells} cells but the header has {columns} columns: every row \
                 must have one cell per column"
            ),
        }
    }
}

impl std::error::Error for TableError {}

impl Table {
    /// Reads a file's bytes: UTF-8, with or without a byte-order mark.
    pub fn read(bytes: &[u8]) -> Result<Table, TableError> {
        let text = std::str::from_utf8(bytes).map_err(|e| TableError::NotUtf8 {
            row: line_of(bytes, e.valid_up_to()),
        })?;
        Table::read_text(text)
    }

    /// Reads text (a leading byte-order mark is skipped).
    pub fn read_text(text: &str) -> Result<Table, TableError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut records = reader.records();
        let header: Vec<String> = match records.next() {
            Some(Ok(r)) => r.iter().map(|c| c.trim().to_string()).collect(),
            Some(Err(e)) => return Err(unreadable(1, &e)),
            None => return Err(TableError::Empty),
        };
        if header.iter().all(String::is_empty) {
            return Err(TableError::NoHeader);
        }
        if let Some(i) = header.iter().position(String::is_empty) {
            return Err(TableError::EmptyColumnName { column: i + 1 });
        }
        let mut rows = Vec::new();
        for (i, record) in records.enumerate() {
            let number = i + 2;
            let record = record.map_err(|e| unreadable(number, &e))?;
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if record.len() != header.len() {
                return Err(TableError::Ragged {
                    row: number,
                    cells: record.len(),
                    columns: header.len(),
                });
            }
            let cells = record.iter().map(str::to_string).collect();
            rows.push(Row { number, cells });
        }
        Ok(Table { header, rows })
    }

    /// The index of the column called `name`, if there is one.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// The 1-based line of byte `at`.
pub fn line_of(bytes: &[u8], at: usize) -> usize {
    bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
}

fn unreadable(row: usize, e: &csv::Error) -> TableError {
    TableError::Unreadable {
        row,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_spreadsheet_numbers_and_blank_rows_are_skipped() {
        let t = Table::read(b"\xEF\xBB\xBF Name ,Stage\nOne, live \n,\nTwo,beta\n").unwrap();
        assert_eq!(t.header, ["Name", "Stage"]);
        assert_eq!(t.column("Stage"), Some(1));
        let numbers: Vec<usize> = t.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [2, 4]);
        assert_eq!(t.rows[0].cells, ["One", " live "]);
    }

    #[test]
    fn each_refusal_names_the_row() {
        let e = |b: &[u8]| Table::read(b).unwrap_err().to_string();
        assert!(e(b"Name,Stage\n\xff\xfe,live\n").contains("row 2"));
        assert!(e(b"").starts_with("The file is empty"));
        assert!(e(b" , \n1,2\n").starts_with("Row 1 must be a header"));
        assert!(e(b"Name,\nOne,live\n").starts_with("Row 1, column 2"));
        assert_eq!(
            Table::read(b"a,b\n1,2\n3\n").unwrap_err(),
            TableError::Ragged {
                row: 3,
                cells: 1,
                columns: 2
            }
        );
        assert!(Table::read(b"a,b\n").unwrap().rows.is_empty());
    }
}
