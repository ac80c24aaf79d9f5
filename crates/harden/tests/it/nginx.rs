//! Debian nginx judged as a reviewer would (filled in below).
