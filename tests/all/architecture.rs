//! The layout rules of docs/ARCHITECTURE.md, checked on the source tree:
//! the modules of the crate (and the rooms inside each module) depend on
//! each other without cycles, and no source file grows past the size a
//! reader can hold.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest source file allowed (lines).
const MAX_FILE_LINES: usize = 650;

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file below `src/` (`density/eval/mod.rs` →
/// `["density", "eval"]`; `lib.rs` and `main.rs` → the crate root).
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// Absolute module paths named in one line of code (`crate::a::b`,
/// `vippl::a::b`, `super::b`, `self::b`), resolved against `here`.
fn referenced_paths(line: &str, here: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    for start in ["crate::", "vippl::", "super::", "self::"] {
        let mut from = 0;
        while let Some(pos) = line[from..].find(start) {
            let at = from + pos;
            from = at + start.len();
            // Only whole path roots (not `my_crate::` or the second
            // `super::` of `super::super::`).
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || b"_:".contains(&bytes[at - 1])) {
                continue;
            }
            let mut base: Vec<String> = match start {
                "crate::" | "vippl::" => Vec::new(),
                "self::" => here.to_vec(),
                _ => here[..here.len().saturating_sub(1)].to_vec(),
            };
            let mut rest = &line[from..];
            while let Some(stripped) = rest.strip_prefix("super::") {
                base.pop();
                rest = stripped;
            }
            for segment in rest.split("::") {
                let name: String = segment
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name.is_empty() || name.starts_with(|c: char| c.is_ascii_uppercase()) {
                    break;
                }
                base.push(name);
                if base.len() >= 2 {
                    break;
                }
            }
            found.push(base);
        }
    }
    found
}

/// A cycle in `graph`, if there is one.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle = stack[at..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(next, graph, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(node, graph, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// The dependency graphs: one between the top-level modules, and one per
/// top-level module between its rooms (its direct submodules).
fn dependency_graphs() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graphs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files {
        let here = module_path(file.strip_prefix(&src).unwrap());
        let Some(top) = here.first() else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for target in referenced_paths(code, &here) {
                let Some(target_top) = target.first() else {
                    continue;
                };
                if target_top != top {
                    graphs
                        .entry(String::new())
                        .or_default()
                        .entry(top.clone())
                        .or_default()
                        .insert(target_top.clone());
                } else if let (Some(from), Some(to)) = (here.get(1), target.get(1))
                    && from != to
                {
                    graphs
                        .entry(top.clone())
                        .or_default()
                        .entry(from.clone())
                        .or_default()
                        .insert(to.clone());
                }
            }
        }
    }
    graphs
}

#[test]
fn modules_and_their_rooms_depend_on_each_other_without_cycles() {
    for (owner, graph) in dependency_graphs() {
        if let Some(cycle) = find_cycle(&graph) {
            let place = if owner.is_empty() {
                "between the crate's modules".to_string()
            } else {
                format!("inside `{owner}`")
            };
            panic!("import cycle {place}: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.entry("a".into()).or_default().insert("b".into());
    graph.entry("b".into()).or_default().insert("c".into());
    assert!(find_cycle(&graph).is_none());
    graph.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    let here = ["density".to_string(), "eval".to_string(), "ops".to_string()];
    assert_eq!(
        referenced_paths("use super::super::tape::Tape;", &here),
        [vec!["density".to_string(), "tape".to_string()]]
    );
    assert_eq!(
        referenced_paths("use crate::infer::{A, B};", &here),
        [vec!["infer".to_string()]]
    );
}

#[test]
fn no_source_file_is_longer_than_a_reader_can_hold() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).unwrap().lines().count();
            (n > MAX_FILE_LINES).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines: {long:?}"
    );
}
