//! The Lync / Skype for Business vocabulary shared by the planner, the checker and the client simulator.
//!
//! For now this holds only [`sources`]: the published documents behind the source keys (`S1` … `S44`, `S37b`)
//! that the rest of the workspace cites.

pub mod sources;
