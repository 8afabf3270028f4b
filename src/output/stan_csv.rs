//! Draws in CmdStan's CSV format, so ArviZ `from_cmdstan`, cmdstanpy-style
//! parsers and a plain `csv` reader that skips `#` lines all read them.
//!
//! Layout: `#` comment lines with the configuration ([`Config::comment_lines`],
//! nothing time- or machine-dependent, so a seed gives a byte-identical file),
//! the header `lp__,log_p__,log_g__,<quantities>` with CmdStan's dotted names,
//! then one line per draw. As in CmdStan's variational output `lp__` is 0;
//! [`write_variational_csv`] writes its layout exactly: the header, the
//! `# Stepsize adaptation complete.` / `# eta = ...` comments, a first row
//! holding the mean of the approximation (`0,0,0,...`), then the draws. Numbers are written in
//! their shortest round-trip form ([`format_roundtrip`]): more digits than
//! CmdStan's 6 where needed, so a file reproduces the draws bit for bit.

use std::io::{self, Write};
use std::path::Path;

use super::atomic::AtomicFile;
use super::config::Config;
use super::draws::Draws;
use super::names::{cmdstan_name, stan_name};
use super::number::format_roundtrip;

/// The header names for `draws`, checked to be writable as CSV fields and
/// distinct after conversion.
fn header_names(draws: &Draws) -> io::Result<Vec<String>> {
    let bad = |msg: String| io::Error::new(io::ErrorKind::InvalidInput, msg);
    draws.validate().map_err(bad)?;
    let mut out = vec!["lp__".to_string(), "log_p__".into(), "log_g__".into()];
    for n in &draws.names {
        if n.is_empty() || n.contains(['"', '\n', '\r', '#']) {
            return Err(bad(format!("quantity name {n:?} cannot be a CSV column")));
        }
        let c = cmdstan_name(n);
        if out.contains(&c) {
            return Err(bad(format!(
                "quantity `{n}` would be written as the column `{c}`, which already exists"
            )));
        }
        out.push(c);
    }
    Ok(out)
}

/// Streams the CSV to `w` (give it a buffered writer: there is one write
/// per number).
pub fn write_stan_csv(w: &mut dyn Write, config: &Config, draws: &Draws) -> io::Result<()> {
    let header = header_names(draws)?;
    w.write_all(config.comment_lines().as_bytes())?;
    w.write_all(header.join(",").as_bytes())?;
    w.write_all(b"\n")?;
    write_rows(w, draws)
}

/// CmdStan's variational output: comments, header, the step-size comments,
/// the row of the approximation's mean (`lp__`, `log_p__` and `log_g__` 0,
/// then `mean`, one value per quantity), then one row per draw. cmdstanpy
/// takes the first row as the mean and the rest as draws; [`read_stan_csv`]
/// does the same.
pub fn write_variational_csv(
    w: &mut dyn Write,
    config: &Config,
    draws: &Draws,
    mean: &[f64],
    eta: f64,
) -> io::Result<()> {
    let header = header_names(draws)?;
    if mean.len() != draws.names.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the mean row has {} values for {} quantities",
                mean.len(),
                draws.names.len()
            ),
        ));
    }
    w.write_all(config.comment_lines().as_bytes())?;
    w.write_all(header.join(",").as_bytes())?;
    w.write_all(b"\n# Stepsize adaptation complete.\n# eta = ")?;
    write_number(w, eta)?;
    w.write_all(b"\n0,0,0")?;
    for &x in mean {
        w.write_all(b",")?;
        write_number(w, x)?;
    }
    w.write_all(b"\n")?;
    write_rows(w, draws)
}

/// The draw rows.
fn write_rows(w: &mut dyn Write, draws: &Draws) -> io::Result<()> {
    for i in 0..draws.n_draws {
        w.write_all(b"0,")?;
        write_number(w, draws.log_p[i])?;
        w.write_all(b",")?;
        write_number(w, draws.log_g[i])?;
        for &x in draws.row(i) {
            w.write_all(b",")?;
            write_number(w, x)?;
        }
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// One number without an intermediate String for the common case.
fn write_number(w: &mut dyn Write, x: f64) -> io::Result<()> {
    let a = x.abs();
    if x.is_finite() && (a == 0.0 || (1e-5..1e16).contains(&a)) {
        write!(w, "{x}")
    } else {
        w.write_all(format_roundtrip(x).as_bytes())
    }
}

/// The whole file as a string (tests, small outputs).
pub fn stan_csv_string(config: &Config, draws: &Draws) -> io::Result<String> {
    let mut buf = Vec::new();
    write_stan_csv(&mut buf, config, draws)?;
    String::from_utf8(buf).map_err(io::Error::other)
}

/// Writes the CSV atomically to `path`.
pub fn save_stan_csv(path: impl AsRef<Path>, config: &Config, draws: &Draws) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    write_stan_csv(&mut f, config, draws)?;
    f.commit()
}

/// A parsed Stan CSV file (any CmdStan method, not only vippl's).
#[derive(Debug, Clone, PartialEq)]
pub struct StanCsv {
    /// Comment lines, without the `#` and one following space, in order
    /// (CmdStan also writes comments after the header; they are kept too).
    pub comments: Vec<String>,
    /// Column names as written (CmdStan style).
    pub header: Vec<String>,
    /// One vector per data line, as many values as header names.
    pub rows: Vec<Vec<f64>>,
    /// The first data line of CmdStan's variational output (the mean of
    /// the approximation), which is not a draw: present when the
    /// `Stepsize adaptation` comment comes between the header and it.
    pub mean: Option<Vec<f64>>,
}

impl StanCsv {
    /// All values of a column, by CmdStan (`theta.3`) or Stan (`theta[3]`) name.
    pub fn column(&self, name: &str) -> Option<Vec<f64>> {
        let wanted = cmdstan_name(name);
        let j = self.header.iter().position(|h| *h == wanted)?;
        Some(self.rows.iter().map(|r| r[j]).collect())
    }

    /// The value of the first `key = value` comment with this key, at any
    /// indentation (`seed`, `algorithm`).
    pub fn comment_value(&self, key: &str) -> Option<&str> {
        self.comments.iter().find_map(|c| {
            let (k, v) = c.split_once('=')?;
            (k.trim() == key).then_some(v.trim())
        })
    }

    /// Back to [`Draws`]: needs `log_p__` and `log_g__` columns; `lp__` and
    /// any other column ending in `__` are sampler bookkeeping and dropped.
    pub fn to_draws(&self) -> Result<Draws, String> {
        let find = |n: &str| {
            self.header
                .iter()
                .position(|h| h == n)
                .ok_or_else(|| format!("the CSV has no `{n}` column"))
        };
        let (jp, jg) = (find("log_p__")?, find("log_g__")?);
        let keep: Vec<usize> = (0..self.header.len())
            .filter(|&j| !self.header[j].ends_with("__"))
            .collect();
        let names = keep.iter().map(|&j| stan_name(&self.header[j])).collect();
        let mut values = Vec::with_capacity(self.rows.len() * keep.len());
        for r in &self.rows {
            values.extend(keep.iter().map(|&j| r[j]));
        }
        Draws::new(
            names,
            self.rows.len(),
            values,
            self.rows.iter().map(|r| r[jp]).collect(),
            self.rows.iter().map(|r| r[jg]).collect(),
        )
    }
}

/// Parses Stan CSV text. Blank lines are skipped; `\r\n` endings accepted.
/// Errors name the line (1-based) and the column.
pub fn read_stan_csv(text: &str) -> Result<StanCsv, String> {
    let mut comments = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut mean = None;
    let mut mean_next = false;
    for (k, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let lineno = k + 1;
        if let Some(c) = line.strip_prefix('#') {
            let c = c.strip_prefix(' ').unwrap_or(c);
            if header.is_some() && rows.is_empty() && mean.is_none() {
                mean_next |= c.starts_with("Stepsize adaptation");
            }
            comments.push(c.to_string());
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        match &header {
            None => {
                let h: Vec<String> = line.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(j) = h.iter().position(|s| s.is_empty()) {
                    return Err(format!("line {lineno}: header column {} is empty", j + 1));
                }
                header = Some(h);
            }
            Some(h) => {
                let fields: Vec<&str> = line.split(',').collect();
                if fields.len() != h.len() {
                    return Err(format!(
                        "line {lineno}: {} values, but the header has {} columns",
                        fields.len(),
                        h.len()
                    ));
                }
                let row = fields
                    .iter()
                    .zip(h)
                    .map(|(f, name)| {
                        f.trim().parse::<f64>().map_err(|_| {
                            format!("line {lineno}, column `{name}`: `{f}` is not a number")
                        })
                    })
                    .collect::<Result<Vec<f64>, String>>()?;
                if mean_next {
                    mean = Some(row);
                    mean_next = false;
                } else {
                    rows.push(row);
                }
            }
        }
    }
    let header = header.ok_or("no header line: the file holds only comments or is empty")?;
    Ok(StanCsv {
        comments,
        header,
        rows,
        mean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_errors_point_at_the_line() {
        let e = read_stan_csv("# c\na,b\n1,2\n3\n").unwrap_err();
        assert!(e.starts_with("line 4:"), "{e}");
        let e = read_stan_csv("a,b\n1,x\n").unwrap_err();
        assert!(e.contains("line 2, column `b`") && e.contains("`x`"), "{e}");
        assert!(read_stan_csv("# only\n").is_err());
        let ok = read_stan_csv("a,b\r\n1,nan\r\n\r\n# t\n2,-inf\n").unwrap();
        assert_eq!(ok.rows.len(), 2);
        assert!(ok.rows[0][1].is_nan());
        assert_eq!(ok.comments, vec!["t"]);
    }

    #[test]
    fn the_variational_layout_has_the_mean_row_first() {
        let d = Draws::new(
            vec!["a".into(), "b[1]".into()],
            2,
            vec![1.0, 2.0, 3.0, 4.0],
            vec![-1.0, -2.0],
            vec![-0.5, -0.25],
        )
        .unwrap();
        let mut buf = Vec::new();
        write_variational_csv(
            &mut buf,
            &Config::new().set("method", "variational"),
            &d,
            &[2.0, 3.0],
            0.5,
        )
        .unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "# method = variational\nlp__,log_p__,log_g__,a,b.1\n# Stepsize adaptation complete.\n# eta = 0.5\n0,0,0,2,3\n0,-1,-0.5,1,2\n0,-2,-0.25,3,4\n"
        );
        let back = read_stan_csv(&text).unwrap();
        assert_eq!(back.mean, Some(vec![0.0, 0.0, 0.0, 2.0, 3.0]));
        assert_eq!(back.rows.len(), 2);
        assert_eq!(back.to_draws().unwrap(), d);
    }

    #[test]
    fn clashing_column_names_are_refused() {
        let d = Draws::new(vec!["a[1]".into(), "a.1".into()], 0, vec![], vec![], vec![]).unwrap();
        let e = stan_csv_string(&Config::new(), &d).unwrap_err();
        assert!(e.to_string().contains("already exists"), "{e}");
    }
}
