//! Plain-text tables for people at a terminal.

use crate::output::say;

/// Print rows under a header, columns padded to their widest cell (capped).
pub fn print(header: &[&str], rows: &[Vec<String>]) {
    const MAX: usize = 48;
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count().min(MAX));
            }
        }
    }
    let line = |cells: Vec<String>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            let mut text: String = cell.chars().take(w).collect();
            if cell.chars().count() > w && w > 1 {
                text = cell.chars().take(w - 1).collect::<String>() + "…";
            }
            if i + 1 < cells.len() {
                out += &format!("{text:<w$}  ");
            } else {
                out += &text;
            }
        }
        say!("{}", out.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row.clone());
    }
}
