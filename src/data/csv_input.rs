//! CSV data: a header of identifiers with one column per data name, or a
//! headerless numeric table bound to one matrix/vector (`NAME=file.csv`).
//! Quoted fields, CRLF line ends, a byte-order mark and `true`/`false`
//! (read as 1/0) are accepted. Nothing is filled in: an empty cell, a blank
//! line between rows or a missing-value marker (`NA`, `nan`, ...) is an
//! error naming its row and column, and so is a number beyond the range of
//! a double; non-finite values are spelled as in Stan JSON (`NaN`, `Inf`,
//! `-Inf`).

use super::RawValue;

/// Why a cell is not a number.
enum BadCell {
    /// Empty, or a marker of a missing value (`NA`, `nan`, `NULL`, ...).
    Missing,
    /// A finite number too large for a double (`1e400`).
    OutOfRange,
    NotANumber,
}

/// Spellings other programs write for a missing value.
const MISSING: [&str; 10] = [
    "", "NA", "na", "N/A", "n/a", "nan", "null", "NULL", "None", ".",
];

fn field_value(s: &str) -> Result<f64, BadCell> {
    let t = s.trim();
    match t {
        "true" | "TRUE" | "True" => return Ok(1.0),
        "false" | "FALSE" | "False" => return Ok(0.0),
        _ => {}
    }
    if let Some(x) = super::non_finite(t) {
        return Ok(x);
    }
    if MISSING.contains(&t) {
        return Err(BadCell::Missing);
    }
    // Only what Rust reads as a decimal number: `inf`, `infinity` and `nan`
    // in other spellings are not numbers here (see `super::non_finite`).
    if !t.bytes().any(|b| b.is_ascii_digit()) {
        return Err(BadCell::NotANumber);
    }
    match t.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(BadCell::OutOfRange),
        Err(_) => Err(BadCell::NotANumber),
    }
}

/// The message for a cell that is not a number; `at` locates it.
fn cell_error(origin: &str, at: &str, f: &str, bad: BadCell, hint: &str) -> String {
    match bad {
        BadCell::Missing if f.trim().is_empty() => format!(
            "{origin}: {at}: the value is missing (an empty cell); data is never filled in: remove the row or give the value"
        ),
        BadCell::Missing => format!(
            "{origin}: {at}: `{f}` marks a missing value; data is never filled in: remove the row or give the value"
        ),
        BadCell::OutOfRange => format!(
            "{origin}: {at}: `{f}` is out of the range of a double (at most about 1.8e308); write `Inf` for an infinite value"
        ),
        BadCell::NotANumber => format!("{origin}: {at}: `{f}` is not a number{hint}"),
    }
}

/// The first blank line (empty or spaces only, outside quotes) that has
/// a non-blank line after it: a missing row. The CSV reader skips empty
/// lines silently, so they are found here. Lines count from 1.
fn inner_blank_line(text: &str) -> Option<u64> {
    let mut line = 1u64;
    let mut quoted = false;
    let mut blank_here = true;
    let mut first_blank: Option<u64> = None;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                blank_here = false;
            }
            '\n' if !quoted => {
                if blank_here {
                    first_blank.get_or_insert(line);
                }
                line += 1;
                blank_here = true;
            }
            '\n' => line += 1,
            c if c.is_whitespace() || c == '\u{feff}' => {}
            _ => {
                blank_here = false;
                if first_blank.is_some() {
                    return first_blank;
                }
            }
        }
    }
    None
}

/// The line of the file a record starts on.
fn line_of(rec: &csv::StringRecord, fallback: usize) -> u64 {
    rec.position().map_or(fallback as u64, |p| p.line())
}

fn reader(text: &str, header: bool) -> csv::Reader<&[u8]> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::ReaderBuilder::new()
        .has_headers(header)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
}

fn is_identifier(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

/// A CSV file with a header: each column is a vector named by its header.
pub fn parse_csv_columns(text: &str, origin: &str) -> Result<Vec<(String, RawValue)>, String> {
    let mut rdr = reader(text, true);
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("{origin}: cannot read the header row: {e}"))?
        .iter()
        .map(|h| h.to_string())
        .collect();
    if headers.is_empty() || headers.iter().all(|h| h.is_empty()) {
        return Err(format!("{origin}: the CSV file has no header row"));
    }
    for (j, h) in headers.iter().enumerate() {
        if !is_identifier(h) {
            return Err(format!(
                "{origin}: header of column {} is `{h}`, which is not a data name (letters, digits and `_`, not starting with a digit); for a headerless numeric table use `--data NAME={origin}`",
                j + 1
            ));
        }
        if headers[..j].contains(h) {
            return Err(format!(
                "{origin}: column name `{h}` appears twice in the header"
            ));
        }
    }
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); headers.len()];
    // A blank line is a missing row unless only blank lines follow it.
    if let Some(b) = inner_blank_line(text) {
        return Err(blank_error(origin, b, &headers));
    }
    let mut blank: Option<u64> = None;
    let mut rec = csv::StringRecord::new();
    for i in 0.. {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("{origin}: row {}: {e}", i + 2)),
        }
        let line = line_of(&rec, i + 2);
        if rec.iter().all(|f| f.is_empty()) && rec.len() <= 1 {
            blank.get_or_insert(line);
            continue;
        }
        if let Some(b) = blank {
            return Err(blank_error(origin, b, &headers));
        }
        if rec.len() != headers.len() {
            return Err(format!(
                "{origin}: row {line} has {} fields but the header has {}",
                rec.len(),
                headers.len()
            ));
        }
        for (j, f) in rec.iter().enumerate() {
            let x = field_value(f).map_err(|bad| {
                let at = format!("row {line}, column `{}`", headers[j]);
                cell_error(origin, &at, f, bad, "")
            })?;
            cols[j].push(x);
        }
    }
    Ok(headers
        .into_iter()
        .zip(cols)
        .map(|(h, c)| {
            (
                h,
                RawValue {
                    dims: vec![c.len()],
                    values: c,
                },
            )
        })
        .collect())
}

/// The error for a blank line followed by more rows.
fn blank_error(origin: &str, line: u64, headers: &[String]) -> String {
    match headers {
        [one] => format!(
            "{origin}: row {line}, column `{one}`: the value is missing (a blank line); data is never filled in: remove the line or give the value"
        ),
        _ => format!(
            "{origin}: row {line} is blank: every value of it is missing; data is never filled in: remove the line or give the values"
        ),
    }
}

/// A headerless numeric CSV: one row per line, as a matrix.
pub fn parse_csv_matrix(text: &str, origin: &str) -> Result<RawValue, String> {
    let mut rdr = reader(text, false);
    let mut values = Vec::new();
    let mut rows = 0;
    let mut cols = None;
    let mut blank = inner_blank_line(text);
    if let Some(b) = blank {
        return Err(format!(
            "{origin}: line {b} is blank: a missing row; data is never filled in: remove the line or give the values"
        ));
    }
    let mut rec = csv::StringRecord::new();
    for i in 0.. {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(format!("{origin}: line {}: {e}", i + 1)),
        }
        let line = line_of(&rec, i + 1);
        if rec.iter().all(|f| f.is_empty()) && rec.len() <= 1 {
            blank.get_or_insert(line);
            continue;
        }
        if let Some(b) = blank {
            return Err(format!(
                "{origin}: line {b} is blank: a missing row; data is never filled in: remove the line or give the values"
            ));
        }
        match cols {
            None => cols = Some(rec.len()),
            Some(c) if c != rec.len() => {
                return Err(format!(
                    "{origin}: line {line} has {} fields but line 1 has {c}",
                    rec.len()
                ));
            }
            _ => {}
        }
        for (j, f) in rec.iter().enumerate() {
            let x = field_value(f).map_err(|bad| {
                let at = format!("line {line}, field {}", j + 1);
                cell_error(
                    origin,
                    &at,
                    f,
                    bad,
                    " (a `NAME=file.csv` table has no header)",
                )
            })?;
            values.push(x);
        }
        rows += 1;
    }
    Ok(RawValue {
        dims: vec![rows, cols.unwrap_or(0)],
        values,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_with_bom_crlf_quotes_and_booleans() {
        let t = "\u{feff}a,\"b\",c\r\n1,true,\"2.5\"\r\n3,false,4\r\n";
        let v = parse_csv_columns(t, "f.csv").unwrap();
        assert_eq!(v[0].0, "a");
        assert_eq!(v[1].0, "b");
        assert_eq!(v[1].1.values, vec![1.0, 0.0]);
        assert_eq!(v[2].1.values, vec![2.5, 4.0]);
    }

    #[test]
    fn bad_columns() {
        assert!(
            parse_csv_columns("a,b\n1,x\n", "f.csv")
                .unwrap_err()
                .contains("`x` is not a number")
        );
        assert!(
            parse_csv_columns("a,b\n1\n", "f.csv")
                .unwrap_err()
                .contains("1 fields")
        );
        assert!(
            parse_csv_columns("1a,b\n1,2\n", "f.csv")
                .unwrap_err()
                .contains("not a data name")
        );
        assert!(
            parse_csv_columns("a,a\n1,2\n", "f.csv")
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn missing_and_out_of_range_cells_are_errors_naming_row_and_column() {
        let e = parse_csv_columns("y\n1\n\n3\n", "f.csv").unwrap_err();
        assert_eq!(
            e,
            "f.csv: row 3, column `y`: the value is missing (a blank line); data is never filled in: remove the line or give the value"
        );
        let e = parse_csv_columns("a,b\n1,2\n3,\n", "f.csv").unwrap_err();
        assert!(
            e.starts_with("f.csv: row 3, column `b`: the value is missing (an empty cell)"),
            "{e}"
        );
        for marker in ["NA", "nan", "N/A", "NULL"] {
            let e = parse_csv_columns(&format!("a,b\n1,{marker}\n"), "f.csv").unwrap_err();
            assert!(
                e.starts_with(&format!(
                    "f.csv: row 2, column `b`: `{marker}` marks a missing value"
                )),
                "{e}"
            );
        }
        let e = parse_csv_columns("a\n1e400\n", "f.csv").unwrap_err();
        assert!(
            e.contains("row 2, column `a`: `1e400` is out of the range of a double"),
            "{e}"
        );
        let e = parse_csv_columns("a\ninfinity\n", "f.csv").unwrap_err();
        assert!(e.contains("`infinity` is not a number"), "{e}");
        let e = parse_csv_matrix("1,2\n\n3,4\n", "x.csv").unwrap_err();
        assert!(e.starts_with("x.csv: line 2 is blank"), "{e}");
        let e = parse_csv_matrix("1,NA\n", "x.csv").unwrap_err();
        assert!(
            e.starts_with("x.csv: line 1, field 2: `NA` marks a missing value"),
            "{e}"
        );
        // Trailing blank lines end the file; Stan's non-finite spellings are read.
        let v = parse_csv_columns("a\n1\nNaN\n-Inf\n\n\n", "f.csv").unwrap();
        assert_eq!(v[0].1.dims, vec![3]);
        assert!(v[0].1.values[1].is_nan() && v[0].1.values[2] == f64::NEG_INFINITY);
    }

    #[test]
    fn matrix() {
        let m = parse_csv_matrix("1,2\n3,4\n5,6\n", "x.csv").unwrap();
        assert_eq!(m.dims, vec![3, 2]);
        assert_eq!(m.values, vec![1., 2., 3., 4., 5., 6.]);
        assert!(parse_csv_matrix("1,2\n3\n", "x.csv").is_err());
    }
}
