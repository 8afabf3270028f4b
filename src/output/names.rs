//! The two spellings of a quantity's name: Stan's (`Sigma[2,1]`, used in
//! summaries and models) and CmdStan's CSV header (`Sigma.2.1`).

/// CmdStan's spelling of a Stan-style name: `theta[3]` → `theta.3`,
/// `Sigma[2,1]` → `Sigma.2.1`; plain names are unchanged. Matrices must
/// already be listed column-major by the caller (CmdStan's order).
pub fn cmdstan_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '[' | ',' => out.push('.'),
            ']' | ' ' => {}
            c => out.push(c),
        }
    }
    out
}

/// Stan-style name from CmdStan's (`Sigma.2.1` → `Sigma[2,1]`); a name whose
/// dotted parts are not all indices is returned as it is.
pub fn stan_name(name: &str) -> String {
    match name.split_once('.') {
        Some((base, idx))
            if !base.is_empty()
                && idx
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) =>
        {
            format!("{base}[{}]", idx.replace('.', ","))
        }
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_convert_both_ways() {
        assert_eq!(cmdstan_name("theta[3]"), "theta.3");
        assert_eq!(cmdstan_name("Sigma[2,1]"), "Sigma.2.1");
        assert_eq!(cmdstan_name("Sigma[2, 1]"), "Sigma.2.1");
        assert_eq!(cmdstan_name("mu"), "mu");
        assert_eq!(stan_name("Sigma.2.1"), "Sigma[2,1]");
        assert_eq!(stan_name("theta.3"), "theta[3]");
        assert_eq!(stan_name("lp__"), "lp__");
        assert_eq!(stan_name("a.b"), "a.b");
    }
}
