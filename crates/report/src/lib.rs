//! Plots and reports for ai4de.
