"""The latent-class Gibbs sampler compiled with numba (see `latent` for the model and steps).

Module-level functions, so numba's disk cache (``cache=True``) is found again by every new
process: compiled once per installation, loaded in about a second afterwards. Imported only
when a latent-class model is run (numba is not loaded by ``import analysis.mse``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_TINY = 1e-300


@njit(cache=True, nogil=True)
def draw_counts(total, prob, out):
    # multinomial by conditional binomials
    left, rest = total, 1.0
    for k in range(len(prob) - 1):
        if left == 0 or rest <= 0.0:
            out[k] = 0
            continue
        q = min(1.0, max(0.0, prob[k] / rest))
        out[k] = np.random.binomial(left, q)
        left -= out[k]
        rest -= prob[k]
    out[len(prob) - 1] = left


@njit(cache=True, nogil=True)
def _betaln(a, b):
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


@njit(cache=True, nogil=True)
def log_stick(v, log_pi):
    acc = 0.0
    for k in range(len(v)):
        log_pi[k] = math.log(max(v[k], _TINY)) + acc
        acc += math.log(max(1.0 - v[k], _TINY))


@njit(cache=True, nogil=True)
def run(seed, x, counts, K, a_alpha, b_alpha, burnin, draws, thin, collapsed, scales,
        lam, v, state):
    # lam, v and state[0] (the concentration) are the chain's state: read, then left as the
    # last iteration made them, so a chain can be continued by another call.
    np.random.seed(seed)
    P, J = x.shape
    n = 0
    for p in range(P):
        n += counts[p]
    out_n = np.empty(draws)
    out_p0 = np.empty(draws)
    out_k = np.empty(draws)
    log_pi = np.empty(K)
    log_stick(v, log_pi)
    conc = state[0]
    log_lam = np.empty((K, J))
    log_not = np.empty((K, J))
    prob = np.empty(K)
    m = np.empty(K, dtype=np.int64)
    m0 = np.zeros(K, dtype=np.int64)
    n_obs = np.zeros(K, dtype=np.int64)
    s_kj = np.zeros((K, J))
    w0 = np.empty(K)
    kept = 0
    for it in range(burnin + draws * thin):
        for k in range(K):
            for j in range(J):
                log_lam[k, j] = math.log(max(lam[k, j], _TINY))
                log_not[k, j] = math.log(max(1.0 - lam[k, j], _TINY))
        # (1) classes of the observed people, per capture pattern
        n_obs[:] = 0
        s_kj[:, :] = 0.0
        for p in range(P):
            top = -np.inf
            for k in range(K):
                acc = log_pi[k]
                for j in range(J):
                    acc += log_lam[k, j] if x[p, j] > 0 else log_not[k, j]
                prob[k] = acc
                top = max(top, acc)
            total = 0.0
            for k in range(K):
                prob[k] = math.exp(prob[k] - top)
                total += prob[k]
            for k in range(K):
                prob[k] /= total
            draw_counts(counts[p], prob, m)
            for k in range(K):
                n_obs[k] += m[k]
                for j in range(J):
                    s_kj[k, j] += m[k] * x[p, j]
        # (2) the number never seen, NegBin(n, 1 - pi_0), and their classes
        p0 = 0.0
        for k in range(K):
            acc = log_pi[k]
            for j in range(J):
                acc += log_not[k, j]
            w0[k] = math.exp(acc)
            p0 += w0[k]
        p0 = min(p0, 1.0 - 1e-12)
        n0 = np.random.negative_binomial(n, 1.0 - p0)
        for k in range(K):
            w0[k] /= p0
        draw_counts(n0, w0, m0)
        # (2b) unseen class counts moved with lambda integrated out
        if collapsed:
            n0 = 0
            for k in range(K):
                n0 += m0[k]
            for k in range(K):
                step = int(np.rint(np.random.normal() * scales[np.random.randint(len(scales))]))
                new = m0[k] + step
                if step == 0 or new < 0:
                    continue
                n_old = n + n0
                n_new = n_old + step
                ratio = (math.lgamma(n_new) - math.lgamma(n_old)
                         - math.lgamma(new + 1.0) + math.lgamma(m0[k] + 1.0)
                         + step * log_pi[k])
                for j in range(J):
                    a = 1.0 + s_kj[k, j]
                    b_old = 1.0 + n_obs[k] - s_kj[k, j] + m0[k]
                    b_new = b_old + step
                    ratio += (math.lgamma(b_new) - math.lgamma(a + b_new)
                              - math.lgamma(b_old) + math.lgamma(a + b_old))
                if math.log(np.random.random()) < ratio:
                    m0[k] = new
                    n0 = n_new - n
        # (3) capture probabilities per class and list
        for k in range(K):
            nk = n_obs[k] + m0[k]
            for j in range(J):
                lam[k, j] = np.random.beta(1.0 + s_kj[k, j], 1.0 + nk - s_kj[k, j])
        # (3b) label swaps of neighbouring classes with V integrated out
        for k in range(K - 1):
            na, nb = n_obs[k] + m0[k], n_obs[k + 1] + m0[k + 1]
            if na == nb:
                continue
            rest = 0.0
            for later_k in range(k + 2, K):
                rest += n_obs[later_k] + m0[later_k]
            ratio = _betaln(1.0 + nb, conc + na + rest) - _betaln(1.0 + na, conc + nb + rest)
            if k + 1 < K - 1:
                ratio += _betaln(1.0 + na, conc + rest) - _betaln(1.0 + nb, conc + rest)
            if math.log(np.random.random()) < ratio:
                n_obs[k], n_obs[k + 1] = n_obs[k + 1], n_obs[k]
                m0[k], m0[k + 1] = m0[k + 1], m0[k]
                for j in range(J):
                    s_kj[k, j], s_kj[k + 1, j] = s_kj[k + 1, j], s_kj[k, j]
                    lam[k, j], lam[k + 1, j] = lam[k + 1, j], lam[k, j]
        # (4) stick-breaking fractions, (5) concentration
        later = 0.0
        sum_log_rest = 0.0
        for k in range(K - 1, -1, -1):
            nk = n_obs[k] + m0[k]
            if k == K - 1:
                v[k] = 1.0
            else:
                v[k] = np.random.beta(1.0 + nk, conc + later)
                sum_log_rest += math.log(max(1.0 - v[k], _TINY))
            later += nk
        log_stick(v, log_pi)
        conc = np.random.gamma(a_alpha + K - 1, 1.0 / (b_alpha - sum_log_rest))
        if it >= burnin and (it - burnin) % thin == thin - 1:
            occupied = 0
            for k in range(K):
                if n_obs[k] + m0[k] > 0:
                    occupied += 1
            out_n[kept] = n + n0
            out_p0[kept] = p0
            out_k[kept] = occupied
            kept += 1
    state[0] = conc
    return out_n, out_p0, out_k
