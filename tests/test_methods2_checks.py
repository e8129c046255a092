"""Independent checks of the issue-23 estimators: definitions, special cases and the batch contract.

The R-parity tests (test_methods2_mr.py, test_methods2_mv.py) compare with R's numbers; these check the same code
against things that do not come from it: hand formulas, optimality conditions (lasso KKT, the MM estimating
equations, the S-scale equation), literal transcriptions of R's loops on small inputs, scipy's optimisers and
quadrature, finite differences, and the rule that a replicate computed inside a batch equals it computed alone.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from methods2_reference import inputs, load
from scipy import integrate, optimize, special

from mrkit.errors import InputError, NotEstimable
from mrkit.methods import clr as clr_mod
from mrkit.methods.cml import cml_fits, mr_cml
from mrkit.methods.conmix import mr_conmix
from mrkit.methods.divw import mr_divw, mr_pivw
from mrkit.methods.hetpen import mr_hetpen, subset_mixture
from mrkit.methods.lasso_path import glmnet_lasso
from mrkit.methods.lmrob import TUNING_CHI, TUNING_PSI, lmrob_batch, lmrob_mm, psi_bisquare, rho_bisquare
from mrkit.methods.mrlasso import mr_lasso, mr_mvlasso
from mrkit.methods.mv_diagnostics import conditional_f_gencov, q_a_gencov
from mrkit.methods.mvcml import mr_mvcml, profile_hessian
from mrkit.methods.pcgmm import mr_pcgmm
from mrkit.methods.robust_regression import mr_egger_robust, mr_ivw_robust


def synthetic(k=30, seed=3, reps=1, theta=0.4, outliers=0):
    rng = np.random.default_rng(seed)
    bx = rng.uniform(0.05, 0.2, (reps, k)) * rng.choice([-1, 1], (reps, k))
    bxse = rng.uniform(0.005, 0.015, (reps, k))
    byse = rng.uniform(0.01, 0.03, (reps, k))
    by = theta * bx + byse * rng.standard_normal((reps, k))
    by[:, :outliers] += 0.2
    return bx, bxse, by, byse


def test_divw_and_pivw_special_cases():
    bx, bxse, by, byse = inputs("lipids_chd_ldlc")
    ivw = np.sum(by * bx / byse ** 2) / np.sum(bx ** 2 / byse ** 2)
    assert mr_divw(bx, bxse * 1e-9, by, byse)["estimate"][0] == pytest.approx(ivw, rel=1e-12)
    assert mr_pivw(bx, bxse, by, byse, lam=0, fieller=False)["estimate"][0] == \
        pytest.approx(mr_divw(bx, bxse, by, byse)["estimate"][0], rel=1e-12)
    exact = mr_divw(bx, bxse, 0.3 * bx, byse)  # no heterogeneity at all: tau^2 = 0
    assert exact["tau2"][0] == 0


def test_lmrob_solves_the_mm_and_s_equations():
    """The MM estimate solves sum psi(r / s) x = 0 with s the S-scale; the S-estimate's residuals solve
    sum rho(r0 / s) / (n - p) = 1/2 (the definitions, checked without the algorithm)."""
    bx, bxse, by, byse = inputs("bmi_chd")
    sign = np.where(bx < 0, -1, 1)
    x = np.column_stack([np.ones(bx.size), np.abs(bx)])
    sw = byse ** -1.0
    fit = lmrob_mm(x, by * sign, byse ** -2.0)
    xw, yw = x * sw[:, None], by * sign * sw
    r = yw - xw @ fit["coef"]
    score = xw.T @ psi_bisquare(r / fit["scale"], TUNING_PSI)
    assert np.max(np.abs(score)) <= 1e-6 * np.max(np.abs(xw.T @ np.abs(r / fit["scale"])))
    r0 = yw - xw @ fit["s_coef"]
    n, p = x.shape
    assert np.sum(rho_bisquare(r0 / fit["scale"], TUNING_CHI)) / (n - p) == pytest.approx(0.5, rel=1e-6)
    exact = lmrob_mm(x, x @ np.array([0.01, 0.3]), byse ** -2.0)  # an exact fit: scale 0, the line itself
    assert exact["scale"] == 0 and np.allclose(exact["coef"], [0.01, 0.3], rtol=1e-10)


def test_lmrob_batch_fits_each_replicate_as_alone_with_dropped_rows_and_failures():
    """Replicates fitted together (every step vectorised over them) equal each fitted alone; a replicate with rows
    of weight 0 is fitted on its other rows, one with every pair of rows singular fails alone with the reason
    (synthetic data, seed 11, three outliers)."""
    bx, bxse, by, byse = synthetic(k=25, seed=11, reps=5, outliers=3)
    x = np.stack([np.column_stack([np.ones(25), np.abs(b)]) for b in bx])
    y, w = by * np.sign(bx), byse ** -2.0
    w[1, :2] = 0.0
    x[2, :, 1] = 0.1  # |bx| all equal: no pair of variants determines a line
    fits = lmrob_batch(x, y, w)
    for r in (0, 1, 3, 4):
        alone = lmrob_mm(x[r], y[r], w[r])
        assert fits[r]["error"] is None and fits[r]["n_used"] == alone["n_used"] == (23 if r == 1 else 25)
        for key in ("coef", "se", "scale", "s_coef"):
            np.testing.assert_allclose(fits[r][key], alone[key], rtol=1e-10, err_msg=f"replicate {r}: {key}")
        assert fits[r]["iterations"] == alone["iterations"]
    assert "singular" in fits[2]["error"]
    with pytest.raises(NotEstimable, match="singular"):
        lmrob_mm(x[2], y[2], w[2])
    robust = mr_egger_robust(bx, bxse, by * 1.0, byse)  # the estimator's rows are these fits
    single = mr_egger_robust(bx[3], bxse[3], by[3], byse[3])
    assert robust["estimate"][3] == pytest.approx(single["estimate"][0], rel=1e-10)


def test_penalised_ivw_is_ivw_without_outliers_and_robust_ivw_resists_them():
    bx, bxse, by, byse = synthetic(k=40, seed=5)
    ivw = np.sum(by * bx / byse ** 2) / np.sum(bx ** 2 / byse ** 2)
    pen = mr_ivw_robust(bx, bxse, by, byse, robust=False, penalized=True)
    assert pen["estimate"][0] == pytest.approx(ivw, rel=1e-12)  # every p_j > 0.01: weights unchanged
    dirty = synthetic(k=40, seed=5, outliers=4)
    plain = np.sum(dirty[2] * dirty[0] / dirty[3] ** 2) / np.sum(dirty[0] ** 2 / dirty[3] ** 2)
    robust = mr_ivw_robust(*dirty)["estimate"][0]
    assert abs(robust - 0.4) < abs(plain - 0.4) / 3
    # MR-Egger: on the contaminated data the robust fit is the ordinary fit of the clean data (within half its
    # SE), with an SE close to the clean one, where the ordinary fit's SE grows fourfold
    robust_egger = mr_egger_robust(*dirty)
    clean_egger = mr_egger_robust(bx, bxse, by, byse, robust=False)
    dirty_egger = mr_egger_robust(*dirty, robust=False)
    assert abs(robust_egger["estimate"][0] - clean_egger["estimate"][0]) < clean_egger["se"][0] / 2
    assert robust_egger["se"][0] < 1.2 * clean_egger["se"][0] < dirty_egger["se"][0] / 3
    assert list(robust_egger["note"]) == [""]


def test_conmix_equals_a_transcription_of_rs_loop():
    bx, bxse, by, byse = inputs("calcium_fastgluc")
    ratio, se = by / bx, np.abs(byse / bx)
    psi = 1.5 * np.std(ratio, ddof=1)
    lo, hi, step = np.min((by - 2 * byse) / bx), np.max((by + 2 * byse) / bx), 0.01
    theta = lo + step * np.arange(int((hi - lo) / step + 1e-10) + 1)
    lik = []
    for t in theta:  # R: for (j1 in 1:iters) { lik.inc ...; valid = (lik.inc > lik.exc) * 1; lik[j1] = sum(...) }
        inc = -(t - ratio) ** 2 / 2 / se ** 2 - np.log(np.sqrt(2 * np.pi * se ** 2))
        exc = -ratio ** 2 / 2 / (psi ** 2 + se ** 2) - np.log(np.sqrt(2 * np.pi * (psi ** 2 + se ** 2)))
        lik.append(sum(i if i > e else e for i, e in zip(inc, exc)))
    res = mr_conmix(bx, bxse, by, byse)
    assert res["estimate"][0] == pytest.approx(lo + step * int(np.argmax(lik)), abs=1e-12)


def test_cml_without_invalid_variants_is_the_profile_likelihood_mle():
    bx, bxse, by, byse = inputs("lipids_chd_ldlc")
    fit = cml_fits(bx[None], bxse[None], by[None], byse[None], [0], maxit=1000, tol=1e-12)
    mle = optimize.minimize_scalar(lambda t: np.sum((by - t * bx) ** 2 / (byse ** 2 + t * t * bxse ** 2)),
                                   bounds=(-10, 10), method="bounded", options={"xatol": 1e-12}).x
    assert fit["theta"][0, 0] == pytest.approx(mle, rel=1e-7)
    flipped = np.where(np.arange(bx.size) % 2 == 0, -1.0, 1.0)
    assert mr_cml(bx * flipped, bxse, by * flipped, byse, n=17723)["estimate"][0] == \
        pytest.approx(mr_cml(bx, bxse, by, byse, n=17723)["estimate"][0], rel=1e-12)


@pytest.mark.parametrize("dataset", ["bmi_chd", "lipids_chd_mv"])
def test_glmnet_path_satisfies_the_lasso_kkt_conditions(dataset):
    """On glmnet's scale (x_j / (sqrt(n) sd_j), y / (sqrt(n) rms)): |x_j'(y - X b)| <= lambda, = lambda at b_j != 0."""
    bx, _, by, byse = inputs(dataset)
    bx = bx.reshape(by.size, -1)
    s = 1 / byse
    b = bx * s[:, None]
    resid_op = np.eye(by.size) - b @ np.linalg.solve(b.T @ b, b.T)
    x, y = resid_op * s[None, :], resid_op @ (s * by)
    fit = glmnet_lasso(x, y)
    n = y.size
    ys, xs = np.sqrt(np.mean(y * y)), np.sqrt(np.mean(x * x, axis=0) - x.mean(axis=0) ** 2)
    xt, yt = x / np.sqrt(n) / xs, y / np.sqrt(n) / ys
    for lam, beta in zip(fit["lambda"][1:], fit["beta"][:, 1:].T):
        bt = beta * xs / ys
        grad = xt.T @ (yt - xt @ bt)
        lam_t = lam / ys
        assert np.all(np.abs(grad) <= lam_t * (1 + 1e-8))
        on = bt != 0
        assert np.allclose(grad[on], lam_t * np.sign(bt[on]), rtol=1e-8, atol=0)


def test_hetpen_mixture_equals_a_literal_enumeration():
    bx, _, by, byse = inputs("calcium_fastgluc")
    theta, se = by / bx, np.abs(byse / bx)
    w, est, sd = subset_mixture(theta, se, 0.5)
    ref = []
    for n in range(2, bx.size + 1):
        for subset in itertools.combinations(range(bx.size), n):
            s = list(subset)
            e = np.sum(theta[s] / se[s] ** 2) / np.sum(se[s] ** -2)
            q = np.sum((theta[s] - e) ** 2 / se[s] ** 2)
            ref.append((np.exp(-(np.sum(np.log(se[s])) + q / 2)) * 0.5 ** bx.size, e,
                        max(np.sqrt(q / (n - 1)), 1) / np.sqrt(np.sum(se[s] ** -2))))
    ref = np.array(sorted(ref, key=lambda t: t[1]))
    order = np.argsort(est)
    np.testing.assert_allclose(np.column_stack([w, est, sd])[order], ref * [1 / ref[:, 0].sum(), 1, 1], rtol=1e-10)
    with pytest.raises(NotEstimable, match="2\\^J"):
        mr_hetpen(*synthetic(k=21))


def test_clr_integral_shortcut_and_fast_path():
    """The Gauss-Legendre CLR p-value equals scipy's adaptive quadrature of R's integrand (1e-8); the diagonal fast
    path equals the general one with an identity LD matrix."""
    def r_pvalue(clr, qt, k):
        const = math.exp(math.lgamma(k / 2) - math.lgamma((k - 1) / 2)) / math.sqrt(math.pi)
        integrand = (lambda x: special.gammainc(k / 2, (qt + clr) / (1 + qt * x * x / clr) / 2)
                     * (1 - x * x) ** ((k - 3) / 2))
        return 1 - 2 * const * integrate.quad(integrand, 0, 1, limit=500)[0]

    for clr, qt, k in ((3.0, 50.0, 6), (5.0, 2.0, 2), (4.2, 1000.0, 28), (0.01, 500.0, 10)):
        assert clr_mod._clr_pvalue(np.array([clr]), np.array([qt]), k)[0] == pytest.approx(r_pvalue(clr, qt, k),
                                                                                           abs=1e-8)
    meta = load("calcium_fastgluc")
    data = inputs("calcium_fastgluc")
    fast = clr_mod.mr_clr(*data, nx=meta["nx"], ny=meta["ny"])
    general = clr_mod.mr_clr(*data, nx=meta["nx"], ny=meta["ny"], ld=np.eye(6))
    for key in ("ci_lower", "ci_upper", "ar_lower", "ar_upper", "k_lower", "k_upper"):
        assert fast[key][0] == pytest.approx(general[key][0], abs=1e-12), key


def test_pcgmm_minimises_its_objective():
    """The estimate minimises Q(theta) built here from an SVD of the centred Phi (R's prcomp) and direct solves."""
    meta = load("lipids_chd_ldlc")
    bx, bxse, by, byse = inputs("lipids_chd_ldlc")
    res = mr_pcgmm(bx, bxse, by, byse, nx=meta["nx"], ny=meta["ny"], robust=False)
    w = np.abs(bx) / byse
    phi = np.outer(w, w) * np.eye(w.size)  # identity LD
    _, _, vt = np.linalg.svd(phi - phi.mean(axis=0))
    lam = vt[: res["pcs"][0]].T

    def joint(b, se, n):
        a = 1 / (n * se ** 2 + b ** 2)
        af = lam.T @ np.diag(a) @ lam
        bf = lam.T @ (a * b)
        return np.linalg.solve(af, bf), np.linalg.inv(af) * (1 - bf @ np.linalg.solve(af, bf)) / (n - lam.shape[1] + 1)

    gy, sy = joint(by, byse, meta["ny"])
    gx, sx = joint(bx, bxse, meta["nx"])

    def q(t):
        g = gy - t * gx
        return g @ np.linalg.solve(sy + t * t * sx, g)

    best = optimize.minimize_scalar(q, bounds=(-100, 100), method="bounded", options={"xatol": 1e-10}).x
    assert res["estimate"][0] == pytest.approx(best, rel=1e-6)
    assert res["q"][0] == pytest.approx(q(best), rel=1e-8)


def test_mvcml_hessian_equals_finite_differences_of_the_profile_likelihood():
    bx, bxse, by, byse = inputs("lipids_chd_mv")
    w = np.linalg.inv(np.eye(4) * np.concatenate([bxse, byse[:, None]], axis=1)[:, :, None] ** 2)

    def pl(x):  # R's pl(), transcribed
        total = 0.0
        for i in range(by.size):
            wm, beta = w[i], np.append(bx[i], by[i])
            bb = wm[:3] @ beta + (wm[3] @ beta) * x
            aa = wm[:3, :3] + np.outer(wm[:3, 3], x) + np.outer(x, wm[3, :3]) + wm[3, 3] * np.outer(x, x)
            bh = np.linalg.solve(aa, bb)
            b_i = np.append(bh, bh @ x)
            total += -0.5 * b_i @ wm @ b_i + beta @ wm @ b_i
        return -total

    theta, h = np.array([2.0, -0.3, 0.8]), 1e-4
    fd = np.empty((3, 3))
    for a in range(3):
        for b in range(3):
            e_a, e_b = np.eye(3)[a] * h, np.eye(3)[b] * h
            fd[a, b] = (pl(theta + e_a + e_b) - pl(theta + e_a - e_b) - pl(theta - e_a + e_b)
                        + pl(theta - e_a - e_b)) / (4 * h * h)
    np.testing.assert_allclose(profile_hessian(theta, bx, by, w), fd, rtol=1e-5)


def test_mvmr_diagnostics_special_cases():
    bx, bxse, by, byse = inputs("lipids_chd_mv")
    np.testing.assert_allclose(conditional_f_gencov(bx, bxse, np.eye(3)), conditional_f_gencov(bx, bxse), rtol=1e-13)
    assert q_a_gencov(bx, bxse, by, byse, np.eye(3))["q"][0] == pytest.approx(q_a_gencov(bx, bxse, by, byse)["q"][0])
    one = conditional_f_gencov(bx[:, :1], bxse[:, :1])[0, 0]
    assert one == pytest.approx(np.mean((bx[:, 0] / bxse[:, 0]) ** 2))
    with pytest.raises(InputError, match="ones on the diagonal"):
        conditional_f_gencov(bx, bxse, np.full((3, 3), 0.5))


BATCHED = [
    ("divw", lambda d, s: mr_divw(*d)), ("pivw", lambda d, s: mr_pivw(*d, n_boot=200, seed=s)),
    ("conmix", lambda d, s: mr_conmix(*d)), ("cml", lambda d, s: mr_cml(*d, n=10000)),
    ("ivw_robust", lambda d, s: mr_ivw_robust(*d, seed=s)),
    ("egger_penalised_robust", lambda d, s: mr_egger_robust(*d, penalized=True, seed=s)),
    ("lasso", lambda d, s: mr_lasso(*d)),
    ("hetpen", lambda d, s: mr_hetpen(*(a[:, :8] for a in d), grid_min=-2, grid_max=2, grid_step=0.01)),
    ("clr", lambda d, s: clr_mod.mr_clr(*d, nx=10000, ny=10000)),
    ("pcgmm", lambda d, s: mr_pcgmm(*d, nx=10000, ny=10000)),
]


@pytest.mark.parametrize("name,run", BATCHED, ids=[b[0] for b in BATCHED])
def test_a_replicate_is_the_same_alone_or_in_a_batch(name, run):
    """The contract: row r of a batch seeded s equals the batch of one seeded s + r, exactly."""
    batch = synthetic(k=25, seed=8, reps=3, outliers=2)
    together = run(batch, 40)
    for r in range(3):
        alone = run(tuple(a[r:r + 1] for a in batch), 40 + r)
        for key in ("estimate", "se", "ci_lower", "ci_upper", "p"):
            np.testing.assert_array_equal(alone[key][0], together[key][r], err_msg=key)


def test_multivariable_batches():
    bx, bxse, by, byse = inputs("lipids_chd_mv")
    rng = np.random.default_rng(2)
    stack = [np.stack([a + 0.1 * s * rng.standard_normal(a.shape) * (i > 0) for i in range(2)])
             for a, s in ((bx, bxse), (bxse, 0), (by, byse), (byse, 0))]
    for run in (lambda d: mr_mvlasso(*d), lambda d: mr_mvcml(*d, n=17723)):
        together = run(stack)
        for r in range(2):
            np.testing.assert_allclose(run([a[r] for a in stack])["estimate"][0], together["estimate"][r],
                                       rtol=1e-12)


def test_bad_input_is_refused_with_its_name():
    data = inputs("calcium_fastgluc")
    with pytest.raises(InputError, match="lasso penalty"):
        mr_lasso(*data, lam=-1)
    with pytest.raises(InputError, match="sample size n"):
        mr_cml(*data, n=float("nan"))
    with pytest.raises(InputError, match="nx"):
        clr_mod.mr_clr(*data, nx=3, ny=1000)
    with pytest.raises(InputError, match="byse"):
        mr_divw(data[0], data[1], data[2], -data[3])
