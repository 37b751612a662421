//! The caps every reader keeps, so that no file — a 2 KB spreadsheet claiming a cell at XFD1048576, a
//! zip bomb, a 100,000-character title — can take more memory or time than these allow. A file past
//! a cap is refused with a message that names the cap and how to split or fix the file; a single
//! field past its cap rejects only its row.

/// Caps on one file. [`Limits::default`] suits the command line; a server may use tighter ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the file as given.
    pub max_file_bytes: u64,
    /// Bytes of all the parts of an XLSX workbook once decompressed (a zip bomb stops here).
    pub max_unzipped_bytes: u64,
    /// Bytes of the workbook's shared-string table once decompressed (read whole by the XLSX reader).
    pub max_shared_strings_bytes: u64,
    /// Non-empty cells of one sheet.
    pub max_cells: usize,
    /// Data rows of one file (CSV, JSONL lines, sheet rows).
    pub max_rows: usize,
    /// Columns: a cell further right than this is an error naming the cell.
    pub max_columns: usize,
    /// Characters of one field; a longer value rejects its row.
    pub max_field_chars: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 256 << 20,
            max_unzipped_bytes: 1 << 30,
            max_shared_strings_bytes: 256 << 20,
            max_cells: 10_000_000,
            max_rows: 1_000_000,
            max_columns: 500,
            max_field_chars: 100_000,
        }
    }
}

impl Limits {
    /// Caps for a file uploaded through the web: a fraction of the command line's, so one upload
    /// stays well inside a server's memory.
    pub fn upload() -> Limits {
        Limits {
            max_file_bytes: 32 << 20,
            max_unzipped_bytes: 256 << 20,
            max_shared_strings_bytes: 64 << 20,
            max_cells: 2_000_000,
            max_rows: 200_000,
            max_columns: 500,
            max_field_chars: 100_000,
        }
    }
}

/// Bytes as MiB for messages.
pub(crate) fn mib(bytes: u64) -> String {
    format!("{:.0} MiB", bytes as f64 / (1u64 << 20) as f64)
}
