"""The sequential part: per (rule, device) level state machine over the evaluated rows.

Inputs per evaluation row (all groups concatenated, each group in time order): group, time, ``up`` (level the
value reaches), ``hold`` (level it keeps with hysteresis, >= up) and ``late`` (time before the state's last_time).

Rules, in order, at each row (current level ``c``):
- late row: may only *raise* the level, immediately, when ``min_duration_s == 0`` (stamped at its own time); it
  never lowers it and never starts or stops a pending upgrade (the re-evaluation at last_time does that);
- step down, immediately: if ``hold < c`` the level becomes ``hold`` (so with hysteresis a value must fall below
  bound - hysteresis to leave a level);
- step up: if ``up > c`` and ``min_duration_s == 0`` the level becomes ``up``; otherwise each level L in
  (c, up] is *pending* since the first row at which ``up >= L`` held without a break, and the level becomes the
  highest pending L whose ``since + min_duration_s <= t`` (checked at each row).  A pending level is dropped as
  soon as a row has ``up < L``.

Rows are grouped into runs of constant (group, up, hold); the Python loop runs once per run, not per row, and a
fully vectorised path handles the common case (no hysteresis, no minimum duration, no late rows).
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np


def run_machine(ev_g: np.ndarray, ev_t: np.ndarray, up: np.ndarray, hold: np.ndarray, late: np.ndarray,
                init_level: np.ndarray, init_pending: list[dict | None], min_duration_s: int):
    """Returns (change_rows, new_levels, prev_levels, final_level per group, final pending per group)."""
    G = len(init_level)
    final_level = init_level.astype(np.int8).copy()
    n = len(ev_g)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int8), np.zeros(0, np.int8), final_level, list(init_pending)
    gfirst = np.ones(n, dtype=bool)
    gfirst[1:] = ev_g[1:] != ev_g[:-1]
    glast = np.ones(n, dtype=bool)
    glast[:-1] = gfirst[1:]
    D = int(min_duration_s)
    has_late = bool(late.any())
    if D == 0 and not has_late and (hold is up or np.array_equal(up, hold)):
        prev = np.empty_like(up)
        prev[1:] = up[:-1]
        prev[gfirst] = final_level[ev_g[gfirst]]
        rows = np.flatnonzero(up != prev)
        final_level[ev_g[glast]] = up[glast]
        return rows, up[rows], prev[rows], final_level, [None] * G

    brk = gfirst.copy()
    brk[1:] |= (up[1:] != up[:-1]) | (hold[1:] != hold[:-1])
    if has_late:
        brk |= late
        brk[1:] |= late[:-1]
    starts = np.flatnonzero(brk)
    ends = np.append(starts[1:], n).tolist()
    r_g = ev_g[starts].tolist()
    r_up = up[starts].tolist()
    r_hold = hold[starts].tolist()
    r_late = late[starts].tolist()
    r_first = gfirst[starts].tolist()
    starts = starts.tolist()
    tl = ev_t.tolist()
    pend_out: list[dict | None] = list(init_pending)
    c_rows: list[int] = []
    c_new: list[int] = []
    c_prev: list[int] = []
    gi = -1
    c = 0
    pend: dict[int, int] = {}
    for ri, a in enumerate(starts):
        if r_first[ri]:
            if gi >= 0:
                final_level[gi] = c
                pend_out[gi] = pend
            gi = r_g[ri]
            c = int(final_level[gi])
            pend = dict(init_pending[gi] or {})
        u = r_up[ri]
        if r_late[ri]:
            if u > c and D == 0:
                c_rows.append(a)
                c_new.append(u)
                c_prev.append(c)
                c = u
            continue
        hl = r_hold[ri]
        if hl < c:
            c_rows.append(a)
            c_new.append(hl)
            c_prev.append(c)
            c = hl
        if pend:
            pend = {lv: s for lv, s in pend.items() if c < lv <= u}
        if u > c:
            if D == 0:
                c_rows.append(a)
                c_new.append(u)
                c_prev.append(c)
                c = u
                continue
            ta = tl[a]
            for lv in range(c + 1, u + 1):
                pend.setdefault(lv, ta)
            b = ends[ri]
            while pend:
                due = min(pend.values()) + D
                k = a if tl[a] >= due else bisect_left(tl, due, a, b)
                if k >= b:
                    break
                tk = tl[k]
                new = max(lv for lv, s in pend.items() if s + D <= tk)
                c_rows.append(k)
                c_new.append(new)
                c_prev.append(c)
                c = new
                pend = {lv: s for lv, s in pend.items() if lv > c}
    if gi >= 0:
        final_level[gi] = c
        pend_out[gi] = pend
    return (np.asarray(c_rows, dtype=np.int64), np.asarray(c_new, dtype=np.int8), np.asarray(c_prev, dtype=np.int8),
            final_level, pend_out)
