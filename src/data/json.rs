//! Stan JSON: an object whose keys are data names; scalars are numbers,
//! arrays are (nested) lists, matrices are lists of rows. Non-finite values
//! are written as the strings "NaN", "Inf", "-Inf" (also "Infinity"); a
//! number beyond the range of a double is an error, as in CSV files.

use super::RawValue;
use serde_json::Value;

/// Parses Stan JSON text into named values.
pub fn parse_json(text: &str, origin: &str) -> Result<Vec<(String, RawValue)>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "{origin}: not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(map) = v else {
        return Err(format!(
            "{origin}: Stan JSON data must be an object {{\"name\": value, ...}}"
        ));
    };
    // Names in alphabetical order, whatever the file's order.
    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        let mut dims = Vec::new();
        shape_of(&value, &mut dims);
        let mut values = Vec::with_capacity(dims.iter().product());
        flatten(
            &value,
            &dims,
            0,
            &mut values,
            &name,
            origin,
            &mut Vec::new(),
        )?;
        out.push((name, RawValue { dims, values }));
    }
    Ok(out)
}

/// Shape from the first element at each level.
fn shape_of(v: &Value, dims: &mut Vec<usize>) {
    if let Value::Array(a) = v {
        dims.push(a.len());
        if let Some(first) = a.first() {
            shape_of(first, dims);
        }
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(*b as u8 as f64),
        Value::String(s) => super::non_finite(s),
        _ => None,
    }
}

fn flatten(
    v: &Value,
    dims: &[usize],
    level: usize,
    out: &mut Vec<f64>,
    name: &str,
    origin: &str,
    path: &mut Vec<usize>,
) -> Result<(), String> {
    let at = |path: &[usize]| -> String { path.iter().map(|i| format!("[{i}]")).collect() };
    if level == dims.len() {
        return match number(v) {
            Some(x) => {
                out.push(x);
                Ok(())
            }
            None => Err(format!(
                "{origin}: `{name}{}` is {}, expected a number",
                at(path),
                describe(v)
            )),
        };
    }
    let Value::Array(a) = v else {
        return Err(format!(
            "{origin}: `{name}` is ragged: `{name}{}` is {} where a list of length {} was expected",
            at(path),
            describe(v),
            dims[level]
        ));
    };
    if a.len() != dims[level] {
        return Err(format!(
            "{origin}: `{name}` is ragged: `{name}{}` has {} elements, but its first sibling has {}",
            at(path),
            a.len(),
            dims[level]
        ));
    }
    for (i, x) in a.iter().enumerate() {
        path.push(i + 1);
        flatten(x, dims, level + 1, out, name, origin, path)?;
        path.pop();
    }
    Ok(())
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(a) => format!("a list of length {}", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_vectors_matrices() {
        let v = parse_json(
            r#"{"N": 2, "y": [1.5, -2], "X": [[1, 2, 3], [4, 5, 6]], "e": [], "z": "NaN"}"#,
            "d.json",
        )
        .unwrap();
        let get = |n: &str| v.iter().find(|(k, _)| k == n).unwrap().1.clone();
        assert_eq!(
            get("N"),
            RawValue {
                dims: vec![],
                values: vec![2.0]
            }
        );
        assert_eq!(get("y").dims, vec![2]);
        assert_eq!(get("X").dims, vec![2, 3]);
        assert_eq!(get("X").values, vec![1., 2., 3., 4., 5., 6.]);
        assert_eq!(get("e").dims, vec![0]);
        assert!(get("z").values[0].is_nan());
    }

    #[test]
    fn ragged_and_bad_values_are_reported() {
        let e = parse_json(r#"{"X": [[1, 2], [3]]}"#, "d.json").unwrap_err();
        assert!(e.contains("ragged") && e.contains("X[2]"), "{e}");
        let e = parse_json(r#"{"y": [1, "a"]}"#, "d.json").unwrap_err();
        assert!(e.contains("y[2]") && e.contains("expected a number"), "{e}");
        let e = parse_json(r#"[1, 2]"#, "d.json").unwrap_err();
        assert!(e.contains("must be an object"), "{e}");
        let e = parse_json(r#"{"y": [1, 2"#, "d.json").unwrap_err();
        assert!(e.contains("not valid JSON"), "{e}");
    }
}
