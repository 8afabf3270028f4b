//! CSV data: a header of identifiers with one column per data name, or a
//! headerless numeric table bound to one matrix/vector (`NAME=file.csv`).
//! Quoted fields, CRLF line ends, a byte-order mark and `true`/`false`
//! (read as 1/0) are accepted.

use super::RawValue;

fn field_value(s: &str) -> Option<f64> {
    let t = s.trim();
    match t {
        "true" | "TRUE" | "True" => Some(1.0),
        "false" | "FALSE" | "False" => Some(0.0),
        "NaN" | "nan" | "NA" => Some(f64::NAN),
        "Inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => t.parse::<f64>().ok(),
    }
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
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("{origin}: row {}: {e}", i + 2))?;
        if rec.len() == 1 && rec.get(0) == Some("") {
            continue; // blank line
        }
        if rec.len() != headers.len() {
            return Err(format!(
                "{origin}: row {} has {} fields but the header has {}",
                i + 2,
                rec.len(),
                headers.len()
            ));
        }
        for (j, f) in rec.iter().enumerate() {
            let x = field_value(f).ok_or_else(|| {
                format!(
                    "{origin}: row {}, column `{}`: `{f}` is not a number",
                    i + 2,
                    headers[j]
                )
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

/// A headerless numeric CSV: one row per line, as a matrix.
pub fn parse_csv_matrix(text: &str, origin: &str) -> Result<RawValue, String> {
    let mut rdr = reader(text, false);
    let mut values = Vec::new();
    let mut rows = 0;
    let mut cols = None;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("{origin}: line {}: {e}", i + 1))?;
        if rec.len() == 1 && rec.get(0) == Some("") {
            continue;
        }
        match cols {
            None => cols = Some(rec.len()),
            Some(c) if c != rec.len() => {
                return Err(format!(
                    "{origin}: line {} has {} fields but line 1 has {c}",
                    i + 1,
                    rec.len()
                ));
            }
            _ => {}
        }
        for (j, f) in rec.iter().enumerate() {
            let x = field_value(f).ok_or_else(|| {
                format!(
                    "{origin}: line {}, field {}: `{f}` is not a number (a `NAME=file.csv` table has no header)",
                    i + 1,
                    j + 1
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
    fn matrix() {
        let m = parse_csv_matrix("1,2\n3,4\n5,6\n", "x.csv").unwrap();
        assert_eq!(m.dims, vec![3, 2]);
        assert_eq!(m.values, vec![1., 2., 3., 4., 5., 6.]);
        assert!(parse_csv_matrix("1,2\n3\n", "x.csv").is_err());
    }
}
