pub mod demo;
pub mod discover;
pub mod fit;
pub mod generate;
pub mod pdes;
pub mod plot;
pub mod problems;
pub mod solve;
