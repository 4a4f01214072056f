"""The link sampler compiled with numba (see `linkage`): module-level functions, so numba's disk
cache is found again by every new process. Imported only when links are drawn."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def find(parent, a):
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@njit(cache=True)
def sample(sources, left, right, prob, order, u):
    n = len(sources)
    parent = np.arange(n)
    mask = np.empty(n, dtype=np.int64)
    for r in range(n):
        mask[r] = 1 << sources[r]
    for i in order:
        if u[i] >= prob[i]:
            continue
        a, b = find(parent, left[i]), find(parent, right[i])
        if a == b or mask[a] & mask[b]:
            continue
        parent[b] = a
        mask[a] |= mask[b]
    out = np.empty(n, dtype=np.int64)
    for r in range(n):
        out[r] = find(parent, r)
    return out
