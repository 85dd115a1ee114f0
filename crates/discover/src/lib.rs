//! Equation discovery for ai4de: candidate libraries with symbolic term names, derivative
//! estimation from data, the weak (integral) form, sparse regression (STLSQ, SR3, ensemble SINDy)
//! and discovered models that print as equations, serialise to JSON and simulate with `ai4de-ode`.
#![forbid(unsafe_code)]
