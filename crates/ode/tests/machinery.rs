//! Integration machinery: backward integration, save-at, events, tolerances, statistics, and
//! every error path.

use std::f64::consts::PI;

use ai4de_ode::{Direction, Event, FnSystem, Method, OdeError, SaveAt, Solve};
use proptest::prelude::*;

fn oscillator() -> FnSystem<impl Fn(f64, &[f64], &mut [f64])> {
    FnSystem::new(2, |_t, y: &[f64], dy: &mut [f64]| {
        dy[0] = y[1];
        dy[1] = -y[0];
    })
}

fn decay() -> FnSystem<impl Fn(f64, &[f64], &mut [f64])> {
    FnSystem::new(1, |_t, y: &[f64], dy: &mut [f64]| dy[0] = -y[0])
}

#[test]
fn backward_integration_matches_exact() {
    for method in Method::ALL.into_iter().filter(|m| m.is_adaptive()) {
        let sys = decay();
        let sol = Solve::new(&sys, (1.0, -2.0), &[(-1.0f64).exp()])
            .method(method)
            .rtol(1e-10)
            .atol(1e-12)
            .run()
            .unwrap();
        assert_eq!(sol.t_final(), -2.0);
        assert!(
            sol.t.windows(2).all(|w| w[1] < w[0]),
            "{method}: times not decreasing"
        );
        let e = (sol.y_final()[0] - 2.0f64.exp()).abs() / 2.0f64.exp();
        assert!(e < 1e-8, "{method}: relative error {e}");
    }
    // Fixed step backwards.
    let sys = decay();
    let sol = Solve::new(&sys, (0.0, -1.0), &[1.0])
        .method(Method::Rk4)
        .dt(1e-3)
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    assert!((sol.y_final()[0] - 1.0f64.exp()).abs() < 1e-11);
}

#[test]
fn steps_mode_starts_at_t0_and_ends_at_t_end() {
    let sys = oscillator();
    let sol = Solve::new(&sys, (0.0, 10.0), &[1.0, 0.0]).run().unwrap();
    assert_eq!(sol.t[0], 0.0);
    assert_eq!(sol.row(0), &[1.0, 0.0]);
    assert_eq!(sol.t_final(), 10.0);
    assert_eq!(sol.len(), sol.stats.accepted + 1);
    assert_eq!(sol.y.len(), sol.len() * 2);
}

#[test]
fn save_at_times_through_dense_output() {
    for method in Method::ALL.into_iter().filter(|m| m.is_adaptive()) {
        let sys = oscillator();
        let ts: Vec<f64> = (0..=50).map(|i| i as f64 * 0.2).collect();
        let sol = Solve::new(&sys, (0.0, 10.0), &[1.0, 0.0])
            .method(method)
            .rtol(1e-10)
            .atol(1e-12)
            .save_at(SaveAt::Times(ts.clone()))
            .run()
            .unwrap();
        assert_eq!(sol.t, ts);
        for (i, &t) in ts.iter().enumerate() {
            let e = (sol.row(i)[0] - t.cos()).abs() + (sol.row(i)[1] + t.sin()).abs();
            assert!(e < 1e-8, "{method} at t = {t}: error {e}");
        }
    }
}

#[test]
fn save_at_final_keeps_one_point() {
    let sys = oscillator();
    let sol = Solve::new(&sys, (0.0, 3.0), &[1.0, 0.0])
        .save_at(SaveAt::Final)
        .run()
        .unwrap();
    assert_eq!(sol.t, vec![3.0]);
}

#[test]
fn zero_length_span_returns_initial_state() {
    let sys = oscillator();
    let sol = Solve::new(&sys, (2.0, 2.0), &[1.0, 0.5]).run().unwrap();
    assert_eq!(sol.t, vec![2.0]);
    assert_eq!(sol.y, vec![1.0, 0.5]);
    assert_eq!(sol.stats.steps, 0);
}

#[test]
fn events_are_located_to_tolerance_with_direction() {
    for method in Method::ALL.into_iter().filter(|m| m.is_adaptive()) {
        let sys = oscillator();
        // y0 = cos t: zeros at π/2 (falling), 3π/2 (rising), 5π/2 (falling), ...
        let sol = Solve::new(&sys, (0.0, 10.0), &[1.0, 0.0])
            .method(method)
            .rtol(1e-10)
            .atol(1e-12)
            .event(Event::new(|_t, y: &[f64]| y[0]).direction(Direction::Falling))
            .event(Event::new(|_t, y: &[f64]| y[0]).direction(Direction::Either))
            .run()
            .unwrap();
        let falling: Vec<f64> = sol
            .events
            .iter()
            .filter(|e| e.event == 0)
            .map(|e| e.t)
            .collect();
        let either: Vec<f64> = sol
            .events
            .iter()
            .filter(|e| e.event == 1)
            .map(|e| e.t)
            .collect();
        assert_eq!(falling.len(), 2, "{method}: {falling:?}");
        assert_eq!(either.len(), 3, "{method}: {either:?}");
        for (t, expected) in falling.iter().zip([PI / 2.0, 2.5 * PI]) {
            assert!(
                (t - expected).abs() < 1e-9,
                "{method}: event at {t}, expected {expected}"
            );
        }
        for (t, expected) in either.iter().zip([PI / 2.0, 1.5 * PI, 2.5 * PI]) {
            assert!(
                (t - expected).abs() < 1e-9,
                "{method}: event at {t}, expected {expected}"
            );
        }
        assert!(sol.events.windows(2).all(|w| w[0].t <= w[1].t));
        assert_eq!(sol.terminated_by, None);
        assert_eq!(sol.t_final(), 10.0);
    }
}

#[test]
fn terminal_event_stops_the_solve_there() {
    // Falling ball: h'' = −g from h = 10, stop when it hits the ground.
    let g = 9.81;
    let ball = FnSystem::new(2, move |_t, y: &[f64], dy: &mut [f64]| {
        dy[0] = y[1];
        dy[1] = -g;
    });
    let t_hit = (2.0 * 10.0 / g).sqrt();
    for save_at in [SaveAt::Steps, SaveAt::Final] {
        let sol = Solve::new(&ball, (0.0, 100.0), &[10.0, 0.0])
            .rtol(1e-10)
            .save_at(save_at)
            .event(Event::new(|_t, y: &[f64]| y[0]).terminal(true))
            .run()
            .unwrap();
        assert_eq!(sol.terminated_by, Some(0));
        assert!((sol.t_final() - t_hit).abs() < 1e-10, "{}", sol.t_final());
        assert!(sol.y_final()[0].abs() < 1e-9);
        assert!((sol.y_final()[1] + g * t_hit).abs() < 1e-8);
        assert_eq!(sol.events.len(), 1);
        assert!((sol.events[0].t - t_hit).abs() < 1e-10);
    }
}

#[test]
fn per_component_tolerances_are_respected() {
    let sys = oscillator();
    let loose = Solve::new(&sys, (0.0, 10.0), &[1.0, 0.0])
        .rtol_vec(vec![1e-3, 1e-3])
        .atol_vec(vec![1e-6, 1e-6])
        .run()
        .unwrap();
    let tight = Solve::new(&sys, (0.0, 10.0), &[1.0, 0.0])
        .rtol_vec(vec![1e-3, 1e-10])
        .atol_vec(vec![1e-6, 1e-12])
        .run()
        .unwrap();
    assert!(tight.stats.accepted > 3 * loose.stats.accepted);
}

#[test]
fn statistics_are_consistent() {
    let sys = oscillator();
    for method in Method::ALL.into_iter().filter(|m| m.is_adaptive()) {
        let sol = Solve::new(&sys, (0.0, 20.0), &[1.0, 0.0])
            .method(method)
            .rtol(1e-8)
            .save_at(SaveAt::Final)
            .run()
            .unwrap();
        let st = sol.stats;
        assert_eq!(st.steps, st.accepted + st.rejected);
        let tab = method.tableau();
        let s = tab.stages();
        // f(t0) + the initial-step probe + (s − 1) per attempted step + one per accepted step
        // for non-FSAL methods (except after the last).
        let expected = 2 + (s - 1) * st.steps + if tab.fsal { 0 } else { st.accepted - 1 };
        assert_eq!(st.f_evals, expected, "{method}: {st:?}");
    }
}

fn expect_err<T: std::fmt::Debug>(r: Result<T, OdeError>) -> OdeError {
    r.expect_err("expected an error")
}

#[test]
fn bad_input_is_a_typed_error() {
    let sys = oscillator();
    let y0 = [1.0, 0.0];
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &[1.0]).run());
    assert!(
        matches!(
            e,
            OdeError::DimensionMismatch {
                expected: 2,
                found: 1,
                ..
            }
        ),
        "{e}"
    );
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &[1.0, f64::NAN]).run());
    assert!(
        matches!(e, OdeError::NonFiniteInput { index: Some(1), .. }),
        "{e}"
    );
    let e = expect_err(Solve::new(&sys, (0.0, f64::INFINITY), &y0).run());
    assert!(matches!(e, OdeError::InvalidTimeSpan { .. }), "{e}");
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &y0).rtol(-1e-3).run());
    assert!(matches!(e, OdeError::InvalidTolerance { .. }), "{e}");
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &y0).rtol(0.0).atol(0.0).run());
    assert!(matches!(e, OdeError::InvalidTolerance { .. }), "{e}");
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &y0).atol(f64::NAN).run());
    assert!(matches!(e, OdeError::InvalidTolerance { .. }), "{e}");
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &y0).atol_vec(vec![1e-6]).run());
    assert!(
        matches!(
            e,
            OdeError::DimensionMismatch {
                expected: 2,
                found: 1,
                ..
            }
        ),
        "{e}"
    );
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &y0).max_steps(0).run());
    assert!(
        matches!(
            e,
            OdeError::InvalidOption {
                name: "max_steps",
                ..
            }
        ),
        "{e}"
    );
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &y0).h0(-1.0).run());
    assert!(
        matches!(e, OdeError::InvalidOption { name: "h0", .. }),
        "{e}"
    );
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &y0).method(Method::Rk4).run());
    assert!(
        matches!(e, OdeError::InvalidOption { name: "dt", .. }),
        "{e}"
    );
    let e = expect_err(
        Solve::new(&sys, (0.0, 1.0), &y0)
            .save_at(SaveAt::Times(vec![0.5, 2.0]))
            .run(),
    );
    assert!(matches!(e, OdeError::InvalidSaveAt { index: 1, .. }), "{e}");
    let e = expect_err(
        Solve::new(&sys, (0.0, 1.0), &y0)
            .save_at(SaveAt::Times(vec![0.5, 0.2]))
            .run(),
    );
    assert!(matches!(e, OdeError::InvalidSaveAt { index: 1, .. }), "{e}");
}

#[test]
fn max_steps_reached_reports_where() {
    let sys = oscillator();
    let e = expect_err(
        Solve::new(&sys, (0.0, 100.0), &[1.0, 0.0])
            .rtol(1e-12)
            .max_steps(50)
            .run(),
    );
    match e {
        OdeError::MaxStepsReached { t, max_steps } => {
            assert_eq!(max_steps, 50);
            assert!(t > 0.0 && t < 100.0);
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn finite_time_blow_up_is_step_size_underflow() {
    // y' = y², y(0) = 1: y = 1/(1 − t) blows up at t = 1.
    let sys = FnSystem::new(1, |_t, y: &[f64], dy: &mut [f64]| dy[0] = y[0] * y[0]);
    let e = expect_err(
        Solve::new(&sys, (0.0, 2.0), &[1.0])
            .max_steps(1_000_000)
            .run(),
    );
    match e {
        OdeError::StepSizeTooSmall { t, .. } | OdeError::NonFiniteState { t, .. } => {
            assert!((t - 1.0).abs() < 1e-3, "stopped at {t}");
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn nan_from_the_right_hand_side_is_reported_with_t() {
    let sys = FnSystem::new(1, |t, _y: &[f64], dy: &mut [f64]| {
        dy[0] = if t > 0.5 { f64::NAN } else { 1.0 };
    });
    for method in Method::ALL {
        let r = Solve::new(&sys, (0.0, 1.0), &[0.0])
            .method(method)
            .dt(0.01)
            .run();
        match r {
            Err(OdeError::NonFiniteState { t, component: 0 }) => {
                assert!((0.4..=0.51).contains(&t), "{method}: t = {t}")
            }
            other => panic!("{method}: unexpected {other:?}"),
        }
        let r = Solve::new(&sys, (0.0, 1.0), &[0.0]).method(method).run();
        if method.is_adaptive() {
            assert!(
                matches!(
                    r,
                    Err(OdeError::NonFiniteState { .. } | OdeError::StepSizeTooSmall { .. })
                ),
                "{method}: {r:?}"
            );
        }
    }
    let sys = FnSystem::new(1, |_t, _y: &[f64], dy: &mut [f64]| dy[0] = f64::INFINITY);
    let e = expect_err(Solve::new(&sys, (0.0, 1.0), &[0.0]).run());
    assert!(
        matches!(e, OdeError::NonFiniteState { t, component: 0 } if t == 0.0),
        "{e}"
    );
}

#[test]
fn errors_print_one_readable_line() {
    let e = OdeError::StepSizeTooSmall { t: 0.5, h: 1e-18 };
    let msg = e.to_string();
    assert!(msg.contains("t = 0.5") && !msg.contains('\n'), "{msg}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Integrating forward then backward returns to the start (time reversibility of the flow).
    #[test]
    fn forward_then_backward_returns(x in -2.0f64..2.0, v in -2.0f64..2.0, t_end in 0.1f64..10.0) {
        let sys = oscillator();
        let fwd = Solve::new(&sys, (0.0, t_end), &[x, v]).rtol(1e-11).atol(1e-13).save_at(SaveAt::Final).run().unwrap();
        let back = Solve::new(&sys, (t_end, 0.0), fwd.y_final()).rtol(1e-11).atol(1e-13).save_at(SaveAt::Final).run().unwrap();
        prop_assert!((back.y_final()[0] - x).abs() < 1e-8);
        prop_assert!((back.y_final()[1] - v).abs() < 1e-8);
    }

    /// Linearity: the solution of a linear system scales with its initial state.
    #[test]
    fn linear_system_scales(scale in 0.1f64..10.0) {
        let sys = oscillator();
        let a = Solve::new(&sys, (0.0, 5.0), &[1.0, 0.5]).rtol(1e-11).atol(1e-14).save_at(SaveAt::Final).run().unwrap();
        let b = Solve::new(&sys, (0.0, 5.0), &[scale, 0.5 * scale]).rtol(1e-11).atol(1e-14 * scale).save_at(SaveAt::Final).run().unwrap();
        for i in 0..2 {
            prop_assert!((b.y_final()[i] - scale * a.y_final()[i]).abs() < 1e-8 * scale);
        }
    }
}

#[test]
fn explicit_methods_refuse_mass_matrices() {
    let p = ai4de_ode::problems::get("rober_dae").unwrap();
    let e = expect_err(Solve::new(&p, (0.0, 1.0), &p.y0).run());
    assert!(
        matches!(e, OdeError::InvalidOption { name: "method", .. })
            && e.to_string().contains("mass matrix"),
        "{e}"
    );
}
