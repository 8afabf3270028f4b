//! The per-iteration trace CSV (`--trace FILE`): `iteration,elbo,step`,
//! then the family's parameters (e.g. `mu.1`, `L.2.1`), one line per
//! iteration, streamed as the fit runs and published atomically at the end.

use std::io::{self, Write};
use std::path::Path;

use super::atomic::AtomicFile;
use super::fit::TraceRow;
use super::number::format_roundtrip;

/// Writes trace lines to a temporary file as iterations complete; the trace
/// appears under its name on [`TraceWriter::finish`]. Dropped unfinished (an
/// error elsewhere), it leaves no file and keeps any previous one.
///
/// A step that the fit undoes (its successor found the ELBO collapsed or a
/// non-finite density) is sent again with the same iteration number: the
/// writer holds the newest row back until the next one arrives, and a row
/// whose number does not exceed the held one replaces it. A new run (a
/// restart, or a run again in other coordinates) starts again at
/// iteration 0 below the rows of the previous one.
pub struct TraceWriter {
    file: AtomicFile,
    n_params: usize,
    held: Option<(TraceRow, Vec<f64>)>,
}

fn check_columns(columns: &[String]) -> io::Result<()> {
    let fixed = ["iteration", "elbo", "step"];
    for (i, c) in columns.iter().enumerate() {
        if c.is_empty() || c.contains([',', '"', '\n', '\r']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("trace column name {c:?} cannot be a CSV column"),
            ));
        }
        if fixed.contains(&c.as_str()) || columns[..i].contains(c) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("trace column `{c}` appears twice"),
            ));
        }
    }
    Ok(())
}

/// The header line (with newline) for these parameter columns.
fn header(columns: &[String]) -> String {
    let mut h = String::from("iteration,elbo,step");
    for c in columns {
        h.push(',');
        h.push_str(c);
    }
    h.push('\n');
    h
}

/// One line; `params.len()` must equal the number of parameter columns.
fn write_line(w: &mut dyn Write, row: &TraceRow, params: &[f64]) -> io::Result<()> {
    write!(
        w,
        "{},{},{}",
        row.iteration,
        format_roundtrip(row.elbo),
        format_roundtrip(row.step)
    )?;
    for &p in params {
        w.write_all(b",")?;
        w.write_all(format_roundtrip(p).as_bytes())?;
    }
    w.write_all(b"\n")
}

impl TraceWriter {
    /// Starts a trace at `path` with these family-parameter columns.
    pub fn create(path: impl AsRef<Path>, param_columns: &[String]) -> io::Result<TraceWriter> {
        check_columns(param_columns)?;
        let mut file = AtomicFile::create(path)?;
        file.write_all(header(param_columns).as_bytes())?;
        Ok(TraceWriter {
            file,
            n_params: param_columns.len(),
            held: None,
        })
    }

    /// Appends one iteration, or replaces the last one when `row` retries it.
    pub fn push(&mut self, row: &TraceRow, params: &[f64]) -> io::Result<()> {
        if params.len() != self.n_params {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "trace row for iteration {} has {} parameters, the header {}",
                    row.iteration,
                    params.len(),
                    self.n_params
                ),
            ));
        }
        if let Some((held, p)) = &mut self.held {
            let retry = row.iteration != 0 && row.iteration <= held.iteration;
            if !retry {
                write_line(&mut self.file, held, p)?;
            }
            *held = *row;
            p.clear();
            p.extend_from_slice(params);
        } else {
            self.held = Some((*row, params.to_vec()));
        }
        Ok(())
    }

    /// Publishes the trace under its final name.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some((row, p)) = self.held.take() {
            write_line(&mut self.file, &row, &p)?;
        }
        self.file.commit()
    }
}

/// Writes a whole trace held in memory: `params[i]` belongs to `rows[i]`
/// (pass an empty slice for a trace without parameter columns).
pub fn write_trace_csv(
    w: &mut dyn Write,
    param_columns: &[String],
    rows: &[TraceRow],
    params: &[Vec<f64>],
) -> io::Result<()> {
    check_columns(param_columns)?;
    if !params.is_empty() && params.len() != rows.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} trace rows but {} parameter rows",
                rows.len(),
                params.len()
            ),
        ));
    }
    w.write_all(header(param_columns).as_bytes())?;
    for (i, row) in rows.iter().enumerate() {
        let p: &[f64] = params.get(i).map(Vec::as_slice).unwrap_or(&[]);
        if p.len() != param_columns.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "trace row for iteration {} has {} parameters, the header {}",
                    row.iteration,
                    p.len(),
                    param_columns.len()
                ),
            ));
        }
        write_line(w, row, p)?;
    }
    Ok(())
}
