//! Choosing which quantities a summary or a CSV file shows: `--include` and
//! `--exclude` patterns over Stan-style names, and the collapsing of long
//! vectors in the summary table.

use super::draws::{ColumnSummary, Draws};

/// Which quantities to show: those matching an `include` pattern (all when
/// there is none) and no `exclude` pattern.
///
/// A pattern without `*` names a quantity: `beta` matches `beta` and each
/// of its elements (`beta[2]`, `beta[1,3]`), `beta[2]` that element only.
/// `*` matches any run of characters: `beta[*]` matches the elements of
/// `beta`, `theta*` every name starting with `theta`. CmdStan spellings
/// (`beta.2`) are accepted too.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

/// Whether `pattern` matches the name `name` (see [`Selection`]).
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let pattern = super::names::stan_name(&pattern.replace(' ', ""));
    if !pattern.contains('*') {
        return name == pattern
            || (name.starts_with(pattern.as_str()) && name[pattern.len()..].starts_with('['));
    }
    glob(pattern.as_bytes(), name.as_bytes())
}

/// `*`-only wildcard matching, iterative with one backtrack point.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The name a quantity's elements share: `theta` for `theta[3]`.
pub fn base_name(name: &str) -> &str {
    name.split_once('[').map_or(name, |(base, _)| base)
}

impl Selection {
    pub fn new(include: &[String], exclude: &[String]) -> Selection {
        Selection {
            include: include.to_vec(),
            exclude: exclude.to_vec(),
        }
    }

    /// Nothing chosen: every quantity is shown.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Whether the quantity `name` is shown.
    pub fn keeps(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|p| matches_pattern(p, name)))
            && !self.exclude.iter().any(|p| matches_pattern(p, name))
    }

    /// An error for the first pattern that matches no quantity, naming the
    /// option and the quantities there are.
    pub fn check(&self, names: &[String]) -> Result<(), String> {
        self.check_as(names, "--include")
    }

    /// [`Selection::check`], calling the included patterns `include` in
    /// the message (`PARAM` for the arguments of `vippl plot`).
    pub fn check_as(&self, names: &[String], include: &str) -> Result<(), String> {
        let options = [(include, &self.include), ("--exclude", &self.exclude)];
        for (option, patterns) in options {
            for p in patterns.iter() {
                if !names.iter().any(|n| matches_pattern(p, n)) {
                    let mut bases: Vec<&str> = names.iter().map(|n| base_name(n)).collect();
                    bases.dedup();
                    return Err(format!(
                        "{option} `{p}` matches no quantity; the quantities are {} (a name stands for all its elements; `*` matches any characters, as in `theta[*]` or `beta*`)",
                        bases.join(", ")
                    ));
                }
            }
        }
        if !self.include.is_empty() && !names.iter().any(|n| self.keeps(n)) {
            return Err("--include and --exclude leave no quantity to show".into());
        }
        Ok(())
    }

    /// The positions of the names shown, in order.
    pub fn columns(&self, names: &[String]) -> Vec<usize> {
        (0..names.len())
            .filter(|&j| self.keeps(&names[j]))
            .collect()
    }

    /// The summary rows shown.
    pub fn summary(&self, rows: &[ColumnSummary]) -> Vec<ColumnSummary> {
        rows.iter()
            .filter(|r| self.keeps(&r.name))
            .cloned()
            .collect()
    }
}

impl Draws {
    /// The draws of the columns at `columns` (positions, in the order
    /// given), with the same log densities.
    pub fn select(&self, columns: &[usize]) -> Draws {
        let k = self.names.len();
        let mut values = Vec::with_capacity(self.n_draws * columns.len());
        for i in 0..self.n_draws {
            values.extend(columns.iter().map(|&j| self.values[i * k + j]));
        }
        Draws {
            names: columns.iter().map(|&j| self.names[j].clone()).collect(),
            n_draws: self.n_draws,
            values,
            log_p: self.log_p.clone(),
            log_g: self.log_g.clone(),
        }
    }
}

/// A quantity with more elements than this is collapsed in the summary
/// table unless chosen with `--include`.
pub const COLLAPSE_ABOVE: usize = 10;
/// How many elements of a collapsed quantity the table still shows.
pub const COLLAPSED_SHOWN: usize = 5;

/// A line of the summary table: a row of numbers, or the note standing for
/// the rows of a collapsed quantity.
pub enum TableLine<'a> {
    Row(&'a ColumnSummary),
    More { count: usize, name: &'a str },
}

/// The lines of the table: each run of more than [`COLLAPSE_ABOVE`]
/// elements of one quantity shows its first [`COLLAPSED_SHOWN`] and one note.
pub fn collapsed(rows: &[ColumnSummary]) -> Vec<TableLine<'_>> {
    let mut lines = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let base = base_name(&rows[start].name);
        let mut end = start + 1;
        if base.len() < rows[start].name.len() {
            while end < rows.len() && base_name(&rows[end].name) == base {
                end += 1;
            }
        }
        if end - start > COLLAPSE_ABOVE {
            lines.extend(
                rows[start..start + COLLAPSED_SHOWN]
                    .iter()
                    .map(TableLine::Row),
            );
            lines.push(TableLine::More {
                count: end - start - COLLAPSED_SHOWN,
                name: base,
            });
        } else {
            lines.extend(rows[start..end].iter().map(TableLine::Row));
        }
        start = end;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_patterns_and_cmdstan_spellings_match() {
        let yes = [
            ("beta", "beta"),
            ("beta", "beta[2]"),
            ("beta", "beta[1,3]"),
            ("beta[2]", "beta[2]"),
            ("beta.2", "beta[2]"),
            ("beta[*]", "beta[10]"),
            ("theta*", "theta"),
            ("theta*", "theta_raw[1]"),
            ("*", "x"),
            ("*[1]", "z[1]"),
        ];
        let no = [
            ("beta", "beta_raw"),
            ("beta", "betas[1]"),
            ("beta[2]", "beta[20]"),
            ("beta[*]", "beta"),
            ("theta*", "atheta"),
            ("*[1]", "z[11]"),
        ];
        for (p, n) in yes {
            assert!(matches_pattern(p, n), "{p} should match {n}");
        }
        for (p, n) in no {
            assert!(!matches_pattern(p, n), "{p} should not match {n}");
        }
    }
}
