//! live (below)
