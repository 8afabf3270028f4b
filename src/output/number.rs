//! Number formatting: short for people, exact for files.

/// `x` to `digits` significant digits, fixed-point for magnitudes in
/// [1e-3, 1e6) and scientific otherwise, as a reader of a summary table wants
/// (`0.01234`, `1234`, `1.234e-07`). Trailing zeros are kept in fixed-point
/// so columns of like numbers look alike; `digits` is at least 1.
pub fn format_sig(x: f64, digits: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return "0".into();
    }
    let digits = digits.max(1);
    // Round first, in scientific form, so the exponent reflects any carry
    // (9.9996 → 1.000e1).
    let sci = format!("{:.*e}", digits - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-3..6).contains(&exp) {
        let sign = if exp < 0 { "-" } else { "" };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let decimals = (digits as i32 - 1 - exp).max(0) as usize;
    format!("{:.*}", decimals, x)
}

/// The shortest decimal text that parses back to exactly `x`: positional for
/// ordinary magnitudes, scientific when that would be long (`1e-300`, not 300
/// zeros). Non-finite values are `nan`, `inf`, `-inf`, as CmdStan writes
/// them and as Python's `float` and Rust's `parse` read them.
pub fn format_roundtrip(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = x.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(format_sig(1.23456, 4), "1.235");
        assert_eq!(format_sig(-0.0123456, 4), "-0.01235");
        assert_eq!(format_sig(1234.56, 4), "1235");
        assert_eq!(format_sig(123456.0, 4), "123456");
        assert_eq!(format_sig(1234567.0, 4), "1.235e06");
        assert_eq!(format_sig(0.000123456, 4), "1.235e-04");
        assert_eq!(format_sig(0.00123456, 4), "0.001235");
        assert_eq!(format_sig(9.99996, 4), "10.00");
        assert_eq!(format_sig(0.0, 4), "0");
        assert_eq!(format_sig(f64::NAN, 4), "NaN");
        assert_eq!(format_sig(f64::NEG_INFINITY, 4), "-inf");
    }

    #[test]
    fn roundtrip_is_exact_and_short() {
        for &x in &[
            0.1,
            -2.5,
            1e-300,
            5e-324,
            1.7976931348623157e308,
            123456789.125,
            1e-5,
            9.999999e-6,
            1e16,
            -0.0,
            std::f64::consts::PI,
        ] {
            let s = format_roundtrip(x);
            assert!(s.len() <= 24, "{s}");
            let back: f64 = s.parse().unwrap();
            assert_eq!(back.to_bits(), x.to_bits(), "{s}");
        }
        assert_eq!(format_roundtrip(0.1), "0.1");
        assert_eq!(format_roundtrip(1e-300), "1e-300");
        assert_eq!(format_roundtrip(f64::NAN), "nan");
        assert!(format_roundtrip(f64::NAN).parse::<f64>().unwrap().is_nan());
        assert_eq!("-inf".parse::<f64>().unwrap(), f64::NEG_INFINITY);
    }
}
