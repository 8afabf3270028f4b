"""Optimal Gaussians N(0, s^2) of each divergence for 1-D targets, by
quadrature: the references of tests/all/infer_fdiv.rs (a product target's
optimum is the product of the 1-D optima, coordinate by coordinate).

For D_f(p||q) with power weights r^a (r = p/q): the optimum minimises
log(int p^a q^(1-a)) / (a(a-1)) (the normaliser of p does not move it);
a = 1 (forward KL) minimises -E_p[log q]. Needs numpy and scipy.
    python3 examples/paper/fdiv_optima.py
"""
import numpy as np
from scipy import integrate, optimize, stats


def objective(logp, a, s):
    if a == 1:
        f = lambda x: np.exp(logp(x)) * stats.norm.logpdf(x, 0, s)
        return -integrate.quad(f, -np.inf, np.inf, limit=400)[0]
    f = lambda x: np.exp(a * logp(x) + (1 - a) * stats.norm.logpdf(x, 0, s))
    v = integrate.quad(f, -np.inf, np.inf, limit=400, epsabs=0, epsrel=1e-12)[0]
    return np.log(v) / (a * (a - 1))


def optimum(logp, a):
    r = optimize.minimize_scalar(lambda ls: objective(logp, a, np.exp(ls)),
                                 bounds=(np.log(0.3), np.log(3.0)), method="bounded",
                                 options={"xatol": 1e-10})
    return np.exp(r.x)


student5 = lambda x: stats.t.logpdf(x, 5)
zq = integrate.quad(lambda x: np.exp(-x**4 / 4), -np.inf, np.inf)[0]
quartic = lambda x: -x**4 / 4 - np.log(zq)

if __name__ == "__main__":
    # chi2 (a = 2) on Student-t is infinite (p^2/q is not integrable), and
    # a < 0 on the quartic is (q^2/p is not).
    for name, logp, alphas in [("student_t(5)", student5, [1, 0.5, -1, -2]),
                               ("quartic exp(-x^4/4)", quartic, [1, 2, 0.5])]:
        for a in alphas:
            print(f"{name:20s} alpha {a:4}: sd {optimum(logp, a):.6f}")
    print(f"sqrt(5/3) = {np.sqrt(5 / 3):.6f}")
