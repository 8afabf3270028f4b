//! Summaries, Stan-CSV draws and fit files (written atomically).
