//! The standard library: functions and distributions written in the
//! language itself, compiled into the binary and loaded before every model.

/// `(file name, source)` of every standard-library file, in load order.
pub const STDLIB: &[(&str, &str)] = &[
    ("stdlib/math.vi", include_str!("../../stdlib/math.vi")),
    (
        "stdlib/distributions.vi",
        include_str!("../../stdlib/distributions.vi"),
    ),
];
