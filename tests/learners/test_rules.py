"""Each update rule against a hand-computed step, on the Python path (the agents' observe)."""

from __future__ import annotations

import numpy as np
import pytest

import learners
from learners import _core as C
from learners._rng import seed_streams, uniform

G = 0.9


def _agent(name, S=3, A=2, **hyper):
    base = dict(alpha=0.5, omega=0.0, epsilon=0.0, epsilon_decay=0.0, temperature=0.0, epsilon_per_visit=0.0)
    base.update(hyper)
    return learners.ALGORITHMS[name](S, A, gamma=G, seed=0, **base)


def test_q_learning_step_by_hand():
    ag = _agent("q_learning")
    ag.tables[C.T_Q, 1] = [2.0, 4.0]
    ag.tables[C.T_Q, 0, 1] = 1.0
    ag.observe(0, 1, 0.5, 1, False, False)
    assert ag.q[0, 1] == pytest.approx(1.0 + 0.5 * (0.5 + G * 4.0 - 1.0))
    ag.observe(0, 0, 3.0, 2, True, False)  # terminal: no bootstrap
    assert ag.q[0, 0] == pytest.approx(0.5 * 3.0)


def test_truncation_bootstraps_but_termination_does_not():
    a, b = _agent("q_learning"), _agent("q_learning")
    for ag in (a, b):
        ag.tables[C.T_Q, 1] = [2.0, 4.0]
    a.observe(0, 0, 1.0, 1, False, True)
    b.observe(0, 0, 1.0, 1, True, False)
    assert a.q[0, 0] == pytest.approx(0.5 * (1.0 + G * 4.0))
    assert b.q[0, 0] == pytest.approx(0.5 * 1.0)


def test_step_size_one_over_n_to_the_omega():
    ag = _agent("q_learning", alpha=1.0, omega=1.0)
    for r in (1.0, 2.0, 6.0):  # alpha_n = 1/n: the sample mean of the rewards
        ag.observe(0, 0, r, 2, True, False)
    assert ag.q[0, 0] == pytest.approx(3.0)
    ag2 = _agent("q_learning", alpha=0.8, omega=0.5)
    ag2.observe(0, 0, 1.0, 2, True, False)
    ag2.observe(0, 0, 0.0, 2, True, False)
    q1 = 0.8
    assert ag2.q[0, 0] == pytest.approx(q1 + 0.8 / np.sqrt(2) * (0.0 - q1))


def test_sarsa_bootstraps_on_the_action_it_returns():
    ag = _agent("sarsa", epsilon=0.5)  # random next actions
    ag.tables[C.T_Q, 1] = [2.0, 4.0]
    a2 = ag.observe(0, 0, 1.0, 1, False, False)
    assert a2 in (0, 1)
    assert ag.q[0, 0] == pytest.approx(0.5 * (1.0 + G * [2.0, 4.0][a2]))


def test_expected_sarsa_uses_the_epsilon_greedy_expectation():
    eps = 0.3
    ag = _agent("expected_sarsa", epsilon=eps)
    ag.tables[C.T_Q, 1] = [2.0, 4.0]
    ag.observe(0, 0, 1.0, 1, False, False)
    expect = (1 - eps) * 4.0 + eps * (2.0 + 4.0) / 2
    assert ag.q[0, 0] == pytest.approx(0.5 * (1.0 + G * expect))


def test_expected_sarsa_ties_share_the_greedy_mass_and_softmax():
    ag = _agent("expected_sarsa", A=3, epsilon=0.3)
    ag.tables[C.T_Q, 1] = [4.0, 4.0, 1.0]
    ag.observe(0, 0, 0.0, 1, False, False)
    expect = 0.7 * 4.0 + 0.3 * 3.0
    assert ag.q[0, 0] == pytest.approx(0.5 * G * expect)
    sm = _agent("expected_sarsa", A=3, temperature=2.0)
    sm.tables[C.T_Q, 1] = [4.0, 0.0, 1.0]
    sm.observe(0, 0, 0.0, 1, False, False)
    w = np.exp(np.array([4.0, 0.0, 1.0]) / 2.0)
    assert sm.q[0, 0] == pytest.approx(0.5 * G * (w @ [4.0, 0.0, 1.0]) / w.sum())


def test_double_q_updates_one_table_with_the_other_as_evaluator():
    ag = _agent("double_q")
    t = ag.tables
    t[C.T_Q, 1] = [5.0, 1.0]  # Q1 picks action 0
    t[C.T_Q2, 1] = [2.0, 7.0]  # Q2 picks action 1
    coin = uniform(seed_streams(0, 1)[0].copy(), 0) < 0.5  # the agent's first draw decides the table
    ag.observe(0, 0, 1.0, 1, False, False)
    if coin:  # Q1 updated with Q2(s', argmax Q1) = Q2(1, 0) = 2
        assert t[C.T_Q, 0, 0] == pytest.approx(0.5 * (1.0 + G * 2.0)) and t[C.T_Q2, 0, 0] == 0.0
    else:  # Q2 updated with Q1(s', argmax Q2) = Q1(1, 1) = 1
        assert t[C.T_Q2, 0, 0] == pytest.approx(0.5 * (1.0 + G * 1.0)) and t[C.T_Q, 0, 0] == 0.0
    assert np.allclose(ag.q, t[C.T_Q] + t[C.T_Q2])


def test_double_q_uses_both_tables_over_many_steps():
    ag = _agent("double_q")
    for _ in range(200):
        ag.observe(0, 0, 1.0, 2, True, False)
    t = ag.tables
    assert 0.9 < t[C.T_Q, 0, 0] <= 1.0 and 0.9 < t[C.T_Q2, 0, 0] <= 1.0


def test_mc_control_first_visit_returns():
    ag = _agent("mc_control", S=4, alpha=1.0, omega=1.0)
    episode = [(0, 0, 1.0, 1), (1, 1, 2.0, 0), (0, 0, 4.0, 2), (2, 1, 8.0, 3)]
    for i, (s, a, r, s2) in enumerate(episode):
        assert ag.q.sum() == 0.0 or i == len(episode)  # nothing is learned before the episode ends
        ag.observe(s, a, r, s2, i == len(episode) - 1, False)
    G2 = 8.0
    G1 = 4.0 + G * G2
    G_1 = 2.0 + G * G1
    G0 = 1.0 + G * G_1
    assert ag.q[0, 0] == pytest.approx(G0)  # first visit of (0, 0) only
    assert ag.q[1, 1] == pytest.approx(G_1)
    assert ag.q[2, 1] == pytest.approx(G2)
    assert ag.tables[C.T_N, 0, 0] == 1.0


def test_dyna_planning_backup_uses_the_empirical_model():
    ag = _agent("dyna_q", S=3, A=1, alpha=1.0, n_planning=1)
    ag.observe(0, 0, 1.0, 1, False, False)
    ag.tables[C.T_Q, 1, 0] = 10.0
    ag.observe(0, 0, 3.0, 2, True, False)
    # model of (0, 0): mean reward 2, successor 1 (Q 10) or terminal 2, each 1/2; the planning
    # update (the only seen pair) with alpha 1 sets Q(0, 0) = 2 + G * 0.5 * 10
    assert ag.q[0, 0] == pytest.approx(2.0 + G * 0.5 * 10.0)
    assert ag.updates == 4


def test_prioritized_sweeping_propagates_backwards_through_predecessors():
    ag = _agent("prioritized_sweeping", S=4, A=1, alpha=1.0, n_planning=10, theta=1e-9)
    ag.observe(0, 0, 0.0, 1, False, False)
    ag.observe(1, 0, 0.0, 2, False, False)
    assert ag.updates == 0  # zero rewards: nothing to propagate
    ag.observe(2, 0, 1.0, 3, True, False)
    assert ag.q[:3, 0] == pytest.approx([G**2, G, 1.0])  # one real step reached the whole chain
    assert ag.updates == 3


def test_certainty_equivalence_is_the_linear_solve_of_the_counts():
    ag = _agent("certainty_equivalence", S=3, A=1)
    for s2 in (0, 0, 1, 1):  # c(0,0,0) = 2, c(0,0,1) = 2: p = 1/2 each
        ag.observe(0, 0, 1.0, s2, False, False)
    ag.observe(1, 0, 0.0, 2, True, False)
    # V(1) = 0; V(0) = 1 + G (0.5 V(0) + 0.5 V(1))  =>  V(0) = 1 / (1 - G / 2)
    assert ag.q[0, 0] == pytest.approx(1.0 / (1.0 - G / 2), rel=1e-8)


def test_rmax_unknown_pairs_are_worth_rmax_over_one_minus_gamma():
    ag = _agent("rmax", S=2, A=2, m=2, rmax=3.0, beta=0.0, model_cap=2)
    assert ag.q == pytest.approx(np.full((2, 2), 3.0 / (1 - G)))
    ag.observe(0, 0, 1.0, 1, True, False)
    assert ag.q[0, 0] == pytest.approx(3.0 / (1 - G))  # one visit: still unknown
    ag.observe(0, 0, 1.0, 1, True, False)
    assert ag.q[0, 0] == pytest.approx(1.0)  # known: reward 1 into a terminal
    for _ in range(4):
        ag.observe(0, 0, 50.0, 1, True, False)
    assert ag.q[0, 0] == pytest.approx(1.0)  # model_cap = m: frozen after m visits (Brafman & Tennenholtz)
    assert ag.tables[C.T_N, 0, 0] == 2.0


def test_rmax_known_pairs_keep_learning_and_replan_when_the_count_doubles():
    ag = _agent("rmax", S=2, A=2, m=2, rmax=3.0, beta=0.0)  # model_cap 0: no cap
    for r in (1.0, 1.0, 50.0):
        ag.observe(0, 0, r, 1, True, False)
    assert ag.q[0, 0] == pytest.approx(1.0)  # known at n = 2; n = 3 is not m 2^k: no re-plan
    ag.observe(0, 0, 2.0, 1, True, False)
    assert ag.q[0, 0] == pytest.approx((1.0 + 1.0 + 50.0 + 2.0) / 4)  # n = 4 = m 2: re-planned
    assert np.array_equal(ag.tables[C.T_Q2], ag.tables[C.T_Q])  # beta = 0: the behaviour values are q


def _rmax_bonus_world(beta, variance_bonus):
    """S = 3 (state 2 terminal), A = 1, m = 2: (1, 0) -> 2 with reward 2 twice; then (0, 0) -> 1 (r 0), -> 2 (r 1)."""
    ag = _agent("rmax", S=3, A=1, m=2, rmax=3.0, beta=beta, variance_bonus=variance_bonus)
    for s, r, s2, done in ((1, 2.0, 2, True), (1, 2.0, 2, True), (0, 0.0, 1, False), (0, 1.0, 2, True)):
        ag.observe(s, 0, r, s2, done, False)
    return ag


@pytest.mark.parametrize("variance_bonus", [1, 0])
def test_rmax_bonus_by_hand_in_both_planners(variance_bonus):
    """Q without the bonus; Q2 with ``beta w`` on each known pair's reward; the Python path and the kernel's plan."""
    from learners._rules import plan_model

    beta = 0.7
    ag = _rmax_bonus_world(beta, variance_bonus)
    # Q: V(1) = 2; Q(0) = rbar + G (V(1) + V(2)) / 2 = 0.5 + G
    q = np.array([0.5 + G, 2.0, 3.0 / (1 - G)])
    if variance_bonus:
        # reward deviations: (0, 0) rewards 0, 1 -> 0.5; (1, 0) 2, 2 -> exactly 0
        assert ag.tables[C.T_RDEV, 0, 0] == pytest.approx(0.5) and ag.tables[C.T_RDEV, 1, 0] == 0.0
        # w(1) = 0 (one outcome, one reward); w(0) = sqrt((Var r + G^2 Var V(s')) / n), V(s') in {2, 0}
        w = np.array([np.sqrt((0.25 + G**2 * 1.0) / 2), 0.0])
    else:
        w = np.full(2, 1 / np.sqrt(2))  # MBIE-EB: 1 / sqrt(n)
    q2_1 = 2.0 + beta * w[1]
    q2 = np.array([0.5 + beta * w[0] + G * q2_1 / 2, q2_1, (3.0 + beta) / (1 - G)])
    assert ag.q[:, 0] == pytest.approx(q, rel=1e-9)
    assert ag.tables[C.T_Q2, :, 0] == pytest.approx(q2, rel=1e-9)
    # the kernel's plan of the same model, from the initial tables
    tab = ag.tables.copy()
    tab[C.T_Q], tab[C.T_Q2] = 3.0 / (1 - G), (3.0 + beta) / (1 - G)
    plan_model(C.RMAX, ag.hp, tab, ag._cnt, ag._term, 2.0, 1e-13)
    assert tab[C.T_Q, :, 0] == pytest.approx(q, rel=1e-9)
    assert tab[C.T_Q2, :, 0] == pytest.approx(q2, rel=1e-9)


def test_certainty_equivalence_bonus_values_by_hand_in_both_planners():
    """With ``beta > 0`` certainty equivalence also plans Q2 (the bonus ``beta w`` on each visited
    pair's reward, as R-max's) and acts on it; Q is the plain estimated MDP's solution."""
    from learners._rules import plan_model

    beta = 0.7
    ag = _agent("certainty_equivalence", S=3, A=1, beta=beta)
    for s, r, s2, done in ((1, 2.0, 2, True), (1, 2.0, 2, True), (0, 0.0, 1, False), (0, 1.0, 2, True)):
        ag.observe(s, 0, r, s2, done, False)
    w0 = np.sqrt((0.25 + G**2 * 1.0) / 2)  # (0, 0): rewards 0, 1; V(s') in {2, 0}; (1, 0): w = 0
    q = [0.5 + G, 2.0]
    q2 = [0.5 + beta * w0 + G * 2.0 / 2, 2.0]
    assert ag.q[:2, 0] == pytest.approx(q, rel=1e-9)
    assert ag.tables[C.T_Q2, :2, 0] == pytest.approx(q2, rel=1e-9)
    tab = ag.tables.copy()
    tab[C.T_Q], tab[C.T_Q2] = 0.0, 0.0
    plan_model(C.CERTAINTY_EQUIVALENCE, ag.hp, tab, ag._cnt, ag._term, 1.0, 1e-13)
    assert tab[C.T_Q, :2, 0] == pytest.approx(q, rel=1e-9)
    assert tab[C.T_Q2, :2, 0] == pytest.approx(q2, rel=1e-9)
    plain = _agent("certainty_equivalence", S=3, A=1, beta=0.0)
    for s, r, s2, done in ((1, 2.0, 2, True), (0, 0.0, 1, False), (0, 1.0, 2, True)):
        plain.observe(s, 0, r, s2, done, False)
    assert not plain.tables[C.T_Q2].any()  # beta = 0: no bonus values


def test_dyna_bonus_values_by_hand():
    """Dyna-Q with ``beta > 0``: every backup of Q (the real step's and the planning ones) is followed
    by the full backup ``Q2(s,a) = rbar + beta w + G sum c/n max Q2(s')`` of the bonus values."""
    beta = 0.7
    ag = _agent("dyna_q", S=3, A=1, alpha=1.0, n_planning=1, beta=beta)
    ag.observe(0, 0, 1.0, 1, False, False)
    assert ag.q[0, 0] == 1.0 and ag.tables[C.T_Q2, 0, 0] == 1.0  # one outcome: w = 0
    ag.tables[C.T_Q, 1, 0], ag.tables[C.T_Q2, 1, 0] = 10.0, 20.0
    ag.observe(0, 0, 3.0, 2, True, False)
    assert ag.tables[C.T_RDEV, 0, 0] == pytest.approx(2.0)  # rewards 1, 3: squared deviations 2
    w = np.sqrt((1.0 + G**2 * 25.0) / 2)  # Var r = 1, V(s') from Q in {10, 0}: Var 25; n = 2
    assert ag.q[0, 0] == pytest.approx(2.0 + G * 10.0 / 2)  # the planning backup (alpha 1)
    assert ag.tables[C.T_Q2, 0, 0] == pytest.approx(2.0 + beta * w + G * 20.0 / 2)


def test_dyna_and_sweeping_planning_backups_take_the_constant_step():
    """The model's backup is already an average: planning steps use ``alpha``, not ``alpha / n**omega``."""
    for name in ("dyna_q", "prioritized_sweeping"):
        ag = _agent(name, S=2, A=1, alpha=0.5, omega=1.0, n_planning=1, theta=1e-12, beta=0.0)
        ag.observe(0, 0, 1.0, 1, True, False)
        ag.observe(0, 0, 1.0, 1, True, False)
        if name == "dyna_q":
            # real step alpha/n then one planning step alpha toward B = 1, twice
            q = 0.5 * 1.0
            q += 0.5 * (1.0 - q)
            q += 0.25 * (1.0 - q)
            q += 0.5 * (1.0 - q)
        else:
            # no real-step update: each step pops (0, 0) once (priority |1 - Q| > theta)
            q = 0.5
            q += 0.5 * (1.0 - q)
        assert ag.q[0, 0] == pytest.approx(q), name


def test_prioritized_sweeping_bonus_values_by_hand():
    beta = 0.7
    ag = _agent("prioritized_sweeping", S=3, A=1, alpha=1.0, n_planning=10, theta=1e-9, beta=beta)
    for s, r, s2, done in ((1, 2.0, 2, True), (0, 0.0, 1, False), (0, 1.0, 2, True)):
        ag.observe(s, 0, r, s2, done, False)
    w0 = np.sqrt((0.25 + G**2 * 1.0) / 2)
    assert ag.q[:2, 0] == pytest.approx([0.5 + G, 2.0])
    assert ag.tables[C.T_Q2, :2, 0] == pytest.approx([0.5 + beta * w0 + G * 2.0 / 2, 2.0])


@pytest.mark.parametrize("name", ["dyna_q", "prioritized_sweeping", "certainty_equivalence"])
def test_model_based_agents_behave_on_the_bonus_values_only_with_a_bonus(name):
    for beta, explore_action in ((0.5, 1), (0.0, 0)):
        ag = _agent(name, S=2, A=2, beta=beta)
        ag.tables[C.T_N, 0] = [1.0, 1.0]  # both tried (untried ones come first: the next test)
        ag.tables[C.T_Q, 0] = [1.0, 0.0]
        ag.tables[C.T_Q2, 0] = [0.0, 1.0]
        assert ag.act(0) == 0 and ag.act(0, explore=True) == explore_action
        assert ag.q[0].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("name", ["dyna_q", "prioritized_sweeping", "certainty_equivalence"])
def test_bonus_behaviour_takes_the_untried_actions_first(name):
    """The bonus values are optimistic about unvisited pairs: an untried action of ``s`` (uniformly at
    random among them) before the greedy one; without a bonus, greedy on ``Q`` as before."""
    ag = _agent(name, S=2, A=3, beta=0.5)
    ag.tables[C.T_N, 0] = [4.0, 0.0, 0.0]
    ag.tables[C.T_Q2, 0] = [5.0, 0.0, 1.0]
    picks = [ag.act(0, explore=True) for _ in range(200)]
    assert set(picks) == {1, 2} and 60 < picks.count(1) < 140
    ag.tables[C.T_N, 0] = [4.0, 1.0, 2.0]
    assert ag.act(0, explore=True) == 0  # every action tried: greedy on Q2
    plain = _agent(name, S=2, A=3, beta=0.0)
    plain.tables[C.T_Q, 0] = [5.0, 0.0, 1.0]
    assert plain.act(0, explore=True) == 0  # no bonus: no optimism, greedy on Q


def test_rmax_variance_bonus_takes_a_bool_like_replacing():
    assert learners.RMax.resolve({"variance_bonus": False})["variance_bonus"] == 0.0
    assert learners.RMax.resolve({})["variance_bonus"] == 1.0


def test_rmax_reports_q_and_behaves_greedily_on_the_bonus_values():
    ag = _agent("rmax", S=2, A=2)
    ag.tables[C.T_Q, 0] = [1.0, 0.0]  # the estimated model prefers action 0
    ag.tables[C.T_Q2, 0] = [0.0, 1.0]  # with the bonus, action 1
    assert ag.act(0) == 0 and ag.act(0, explore=True) == 1
    assert ag.q[0].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("replacing", [0, 1])
def test_sarsa_lambda_traces_equal_the_forward_view(replacing):
    """Each pair visited once: online TD(lambda) equals the lambda-return (forward view) exactly."""
    S, A, lam = 6, 2, 0.8
    rng = np.random.default_rng(3)
    q0 = rng.normal(size=(S, A))
    ag = _agent("sarsa_lambda", S=S, A=A, lam=lam, epsilon=0.5, replacing=replacing, alpha=0.3)
    ag.tables[C.T_Q] = q0
    rewards = rng.normal(size=S - 1)
    s, a = 0, ag.begin(0)
    traj = []
    for t in range(S - 1):  # a corridor: every action moves right; state S-1 is terminal
        done = t == S - 2
        a2 = ag.observe(s, a, rewards[t], s + 1, done, False)
        traj.append((s, a))
        s, a = s + 1, a2
    T = len(traj)
    # forward view: G^lambda_t = r_t + G [(1 - lam) Q(s', a') + lam G^lambda_{t+1}], G^lambda_{T-1} = r_{T-1}
    glam = np.zeros(T)
    glam[-1] = rewards[T - 1]
    for t in range(T - 2, -1, -1):
        nq = q0[traj[t + 1]]
        glam[t] = rewards[t] + G * ((1 - lam) * nq + lam * glam[t + 1])
    for t, (s, a) in enumerate(traj):
        assert ag.q[s, a] == pytest.approx(q0[s, a] + 0.3 * (glam[t] - q0[s, a]))
    assert not ag.tables[C.T_E].any()  # traces cleared at episode end


def test_accumulating_and_replacing_traces_differ_on_a_revisit():
    acc = _agent("sarsa_lambda", lam=1.0, alpha=1.0, replacing=0)
    rep = _agent("sarsa_lambda", lam=1.0, alpha=1.0, replacing=1)
    for ag in (acc, rep):
        ag.observe(0, 0, 0.0, 0, False, False)  # greedy ties -> action chosen at random, Q stays 0
        ag.tables[C.T_Q] = 0.0
        ag.tables[C.T_E] = 0.0
        ag.tables[C.T_E, 0, 0] = G  # as if (0, 0) was visited one step ago
        ag.observe(0, 0, 1.0, 2, True, False)
    assert acc.q[0, 0] == pytest.approx(1.0 + G)  # e = G + 1
    assert rep.q[0, 0] == pytest.approx(1.0)  # e reset to 1


def test_greedy_ties_are_broken_at_random_and_reproducibly():
    picks = [learners.QLearning(2, 4, seed=s).act(0) for s in range(200)]
    counts = np.bincount(picks, minlength=4)
    assert (counts > 30).all()  # uniform over 4 tied actions, not the lowest index
    again = [learners.QLearning(2, 4, seed=s).act(0) for s in range(200)]
    assert picks == again


def test_epsilon_schedule_and_softmax_frequencies():
    hp = np.zeros(C.NH)
    hp[C.H_EPS], hp[C.H_EPS_DECAY], hp[C.H_EPS_MIN] = 0.8, 100.0, 0.1
    assert C.epsilon_at(hp, 0.0) == pytest.approx(0.8)
    assert C.epsilon_at(hp, 100.0) == pytest.approx(0.4)
    assert C.epsilon_at(hp, 1e6) == pytest.approx(0.1)
    hp[C.H_TEMP] = 2.0
    assert C.temperature_at(hp, 300.0) == pytest.approx(0.5)  # the same harmonic decay
    ag = _agent("q_learning", A=3, temperature=1.0)
    ag.tables[C.T_Q, 0] = [0.0, 1.0, 2.0]
    draws = np.bincount([ag.act(0, explore=True) for _ in range(6000)], minlength=3) / 6000
    p = np.exp([0.0, 1.0, 2.0])
    assert draws == pytest.approx(p / p.sum(), abs=0.03)


def _ps_reference(transitions, S, A, n_planning, theta, alpha):
    """Prioritized sweeping written plainly: the full O(S A S) predecessor scan after each pop."""
    q, n, rsum = np.zeros((S, A)), np.zeros((S, A)), np.zeros((S, A))
    cnt, term, prio = np.zeros((S, A, S)), np.zeros(S), np.zeros((S, A))

    def backup(x, b):
        v = sum(cnt[x, b, y] * q[y].max() for y in range(S) if cnt[x, b, y] and not term[y])
        return (rsum[x, b] + G * v) / n[x, b]

    def queue(x, b):
        p = abs(backup(x, b) - q[x, b])
        if p > theta and p > prio[x, b]:
            prio[x, b] = p

    for s, a, r, s2, done in transitions:
        n[s, a] += 1
        cnt[s, a, s2] += 1
        rsum[s, a] += r
        term[s2] = term[s2] or done
        queue(s, a)
        for _ in range(n_planning):
            if prio.max() <= 0:
                break
            x, b = np.unravel_index(prio.argmax(), prio.shape)
            prio[x, b] = 0.0
            q[x, b] += alpha * (backup(x, b) - q[x, b])  # planning: the constant step
            for y in range(S):
                for c in range(A):
                    if cnt[y, c, x]:
                        queue(y, c)
    return q


def test_prioritized_sweeping_predecessor_lists_match_the_full_scan():
    """The kept predecessor lists (O(predecessors) per pop) give the full scan's values."""
    S, A = 6, 2
    rng = np.random.default_rng(4)
    trans = []
    for _ in range(300):
        s, a = int(rng.integers(S - 1)), int(rng.integers(A))
        s2 = int(rng.choice([s, s + 1, int(rng.integers(S))]))
        trans.append((s, a, float(rng.normal()), s2, s2 == S - 1))
    ag = _agent("prioritized_sweeping", S=S, A=A, alpha=0.7, omega=0.5, n_planning=4, theta=1e-6)
    for s, a, r, s2, done in trans:
        ag.observe(s, a, r, s2, done, False)
    ref = _ps_reference(trans, S, A, 4, 1e-6, 0.7)  # (omega 0.5 shapes no planning step)
    assert ag.q == pytest.approx(ref, abs=1e-12)
    assert np.abs(ref).max() > 0.1  # the sweep did propagate something


def test_epsilon_per_visit_advances_the_state_clock():
    """epsilon_t(s) = epsilon / (1 + (t + w n(s)) / epsilon_decay), n(s) the state's visits."""
    hp = np.zeros(C.NH)
    hp[C.H_EPS], hp[C.H_EPS_DECAY], hp[C.H_CLOCK] = 1.0, 100.0, 10.0
    tab = np.zeros((C.NT, 2, 3))
    tab[C.T_N, 0] = [2.0, 3.0, 0.0]  # n(0) = 5
    assert C.clock(tab, hp, 0, 50.0) == 100.0
    assert C.clock(tab, hp, 1, 50.0) == 50.0
    assert C.epsilon_at(hp, C.clock(tab, hp, 0, 50.0)) == pytest.approx(0.5)
    ag = _agent("sarsa", S=2, A=3, epsilon=1.0, epsilon_decay=100.0, epsilon_per_visit=10.0)
    ag.tables[C.T_N, 0] = [2.0, 3.0, 0.0]
    ag.tables[C.T_Q, 0] = [0.0, 0.0, 1.0]
    for _ in range(50):
        ag.observe(1, 0, 0.0, 1, False, False)  # t = 50 steps, none in state 0
    ag.tables[C.T_N, 1] = 0.0
    draws = np.bincount([ag.act(0, explore=True) for _ in range(6000)], minlength=3) / 6000
    assert draws == pytest.approx([0.5 / 3, 0.5 / 3, 0.5 + 0.5 / 3], abs=0.03)  # epsilon 0.5 in state 0


def test_an_explicit_epsilon_means_epsilon_greedy_over_a_softmax_default():
    assert learners.Sarsa.resolve({})["temperature"] == 1.0
    assert learners.Sarsa.resolve({"epsilon": 0.1})["temperature"] == 0.0
    assert learners.Sarsa.resolve({"epsilon": 0.1, "temperature": 0.5})["temperature"] == 0.5
    ag = learners.Sarsa(2, 4, seed=0, epsilon=1.0, epsilon_decay=0.0)
    ag.tables[C.T_Q, 0] = [0.0, 0.0, 0.0, 50.0]  # softmax at temperature 1 would pick action 3 always
    draws = np.bincount([ag.act(0, explore=True) for _ in range(4000)], minlength=4) / 4000
    assert draws == pytest.approx([0.25] * 4, abs=0.03)
