//! The REPL's [`Session`](super::session::Session) driven line by line, as
//! a script would, with snapshots of whole transcripts; and completion.
//! The example paths, scratch directories and snapshot helpers are those
//! of the program's own tests (`tests/all/repl_support.rs`), so both write
//! to and read the same `tests/snapshots`.

mod completion;
mod driver;
mod script;
// The program's tests use all of it; these, not `root`.
#[allow(dead_code)]
#[path = "../../../tests/all/repl_support.rs"]
mod transcript;
