//! Integration tests, compiled as one binary to keep builds fast.
mod output;
mod plot;
