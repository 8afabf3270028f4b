//! Output paths checked before anything is computed or written: an output
//! may not be one of the command's inputs (the model, a data file, the fit
//! being read) or another output of the same command, and it must be a
//! file name in a directory that exists. Paths are compared after
//! resolving `.`/`..` and symbolic links (and, on Unix, as the same file
//! when they are hard links to it).

use std::fs;
use std::path::{Path, PathBuf};

/// Why an output path was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputProblem {
    /// The path is an input or another output: a usage error.
    Clash(String),
    /// The path cannot be written (a directory, a missing directory).
    Unwritable(String),
}

impl std::fmt::Display for OutputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputProblem::Clash(m) | OutputProblem::Unwritable(m) => f.write_str(m),
        }
    }
}

/// One file a command reads: what it is (`the model`, `data file`) and its
/// path (`-` for standard input is never a file).
pub struct Input<'a> {
    pub what: &'a str,
    pub path: &'a str,
}

/// One file a command writes: the option that names it and its path.
pub struct Output<'a> {
    pub option: &'a str,
    pub path: &'a str,
}

/// The same file, however it is named: the resolved path, and where the
/// file exists its device and inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    path: PathBuf,
    inode: Option<(u64, u64)>,
}

impl Identity {
    fn same(&self, other: &Identity) -> bool {
        self.path == other.path || (self.inode.is_some() && self.inode == other.inode)
    }
}

#[cfg(unix)]
fn inode(m: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// The identity of a path that may not exist yet (its directory must).
fn identity(path: &Path) -> Option<Identity> {
    if let Ok(p) = fs::canonicalize(path) {
        let inode = fs::metadata(&p).ok().as_ref().and_then(inode);
        return Some(Identity { path: p, inode });
    }
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    Some(Identity {
        path: fs::canonicalize(dir).ok()?.join(name),
        inode: None,
    })
}

/// Whether `path` can be an output file: not a directory, in a directory
/// that exists.
fn writable(option: &str, path: &str) -> Result<(), OutputProblem> {
    let p = Path::new(path);
    let bad = |why: String| {
        Err(OutputProblem::Unwritable(format!(
            "cannot write {option} `{path}`: {why}"
        )))
    };
    if path.is_empty() {
        return bad("an empty file name".into());
    }
    if fs::metadata(p).is_ok_and(|m| m.is_dir()) || path.ends_with('/') || p.file_name().is_none() {
        return bad("is a directory, not a file name".into());
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => bad(format!("`{}` is not a directory", dir.display())),
        Err(_) => bad(format!(
            "the directory `{}` does not exist (create it first)",
            dir.display()
        )),
    }
}

/// Checks every output path of a command against its inputs and each
/// other, before anything is written; the first problem found.
pub fn check_outputs(inputs: &[Input<'_>], outputs: &[Output<'_>]) -> Result<(), OutputProblem> {
    let inputs: Vec<(&Input, Identity)> = inputs
        .iter()
        .filter(|i| i.path != "-")
        .filter_map(|i| identity(Path::new(i.path)).map(|id| (i, id)))
        .collect();
    let mut seen: Vec<(&Output, Identity)> = Vec::new();
    for o in outputs {
        writable(o.option, o.path)?;
        let Some(id) = identity(Path::new(o.path)) else {
            continue;
        };
        if let Some((i, _)) = inputs.iter().find(|(_, x)| x.same(&id)) {
            return Err(OutputProblem::Clash(format!(
                "{} `{}` is {} `{}`: writing it would destroy the input; choose another file name",
                o.option, o.path, i.what, i.path
            )));
        }
        if let Some((other, _)) = seen.iter().find(|(_, x)| x.same(&id)) {
            return Err(OutputProblem::Clash(format!(
                "{} `{}` and {} `{}` are the same file: each output needs its own",
                other.option, other.path, o.option, o.path
            )));
        }
        seen.push((o, id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("vippl-outputs-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn outputs_that_are_inputs_or_each_other_are_refused() {
        let d = scratch("clash");
        let model = d.join("m.vi");
        fs::write(&model, "").unwrap();
        let m = model.to_string_lossy().into_owned();
        let dotted = d.join(".").join("m.vi").to_string_lossy().into_owned();
        let inputs = [Input {
            what: "the model",
            path: &m,
        }];
        let e = check_outputs(
            &inputs,
            &[Output {
                option: "-o",
                path: &dotted,
            }],
        )
        .unwrap_err();
        assert!(
            matches!(&e, OutputProblem::Clash(m) if m.contains("is the model") && m.contains("would destroy the input")),
            "{e}"
        );
        let out = d.join("out.csv").to_string_lossy().into_owned();
        let e = check_outputs(
            &inputs,
            &[
                Output {
                    option: "-o",
                    path: &out,
                },
                Output {
                    option: "--fit",
                    path: &out,
                },
            ],
        )
        .unwrap_err();
        assert!(
            matches!(&e, OutputProblem::Clash(m) if m.contains("are the same file")),
            "{e}"
        );
        let dir = d.to_string_lossy().into_owned();
        let e = check_outputs(
            &inputs,
            &[Output {
                option: "--trace",
                path: &dir,
            }],
        )
        .unwrap_err();
        assert!(
            matches!(&e, OutputProblem::Unwritable(m) if m.contains("is a directory")),
            "{e}"
        );
        let missing = d
            .join("nowhere")
            .join("x.csv")
            .to_string_lossy()
            .into_owned();
        let e = check_outputs(
            &inputs,
            &[Output {
                option: "-o",
                path: &missing,
            }],
        )
        .unwrap_err();
        assert!(
            matches!(&e, OutputProblem::Unwritable(m) if m.contains("does not exist")),
            "{e}"
        );
        assert!(
            check_outputs(
                &inputs,
                &[Output {
                    option: "-o",
                    path: &out
                }]
            )
            .is_ok()
        );
        fs::remove_dir_all(d).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_to_an_input_is_the_input() {
        let d = scratch("link");
        let data = d.join("data.json");
        fs::write(&data, "{}").unwrap();
        let link = d.join("link.json");
        std::os::unix::fs::symlink(&data, &link).unwrap();
        let hard = d.join("hard.json");
        fs::hard_link(&data, &hard).unwrap();
        let data_s = data.to_string_lossy().into_owned();
        for out in [&link, &hard] {
            let o = out.to_string_lossy().into_owned();
            let e = check_outputs(
                &[Input {
                    what: "data file",
                    path: &data_s,
                }],
                &[Output {
                    option: "--fit",
                    path: &o,
                }],
            )
            .unwrap_err();
            assert!(matches!(e, OutputProblem::Clash(_)), "{e}");
        }
        fs::remove_dir_all(d).unwrap();
    }
}
