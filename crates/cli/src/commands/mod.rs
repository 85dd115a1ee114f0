pub mod demo;
pub mod problems;
pub mod solve;
