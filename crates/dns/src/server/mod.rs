//! I/O shell (filled below).
