//! Integration tests: the real `quiver` binary on real files, real SQLite and a real
//! tantivy index in temporary data dirs. Each module says what it covers.

mod bad_files;
mod capture;
mod concurrency;
mod corpus;
mod crash;
mod fault_injection;
mod faults;
mod identity;
mod insights;
mod rep;
mod search;
mod util;
