//! How calls are named and described in messages: the `_lpdf`/`_lpmf`/
//! `_rng` suffixes, argument lists and counts.

use crate::dist::{Cumulative, DistSpec};

/// `name_lpdf` → (`name`, `_lpdf`), and likewise `_lpmf` and `_rng`.
pub(super) fn split_suffix(name: &str) -> Option<(&str, &'static str)> {
    for suffix in ["_lpdf", "_lpmf", "_rng"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if !base.is_empty() {
                return Some((base, suffix));
            }
        }
    }
    None
}

/// `name_lcdf` → (`name`, [`Cumulative::Lcdf`]), and likewise `_cdf` and `_lccdf`.
pub(super) fn cumulative_suffix(name: &str) -> Option<(&str, Cumulative)> {
    Cumulative::USER_FACING.into_iter().find_map(|c| {
        name.strip_suffix(c.suffix())
            .filter(|base| !base.is_empty())
            .map(|base| (base, c))
    })
}

/// "1 was" / "3 were", for "takes N arguments, but 3 were given".
pub(super) fn were_given(n: usize) -> String {
    if n == 1 {
        "1 was".to_string()
    } else {
        format!("{n} were")
    }
}

pub(super) fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

pub(super) fn arg_list(spec: &DistSpec) -> String {
    spec.args
        .iter()
        .map(|a| a.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_split_off() {
        assert_eq!(split_suffix("normal_lpdf"), Some(("normal", "_lpdf")));
        assert_eq!(split_suffix("_rng"), None);
    }
}
