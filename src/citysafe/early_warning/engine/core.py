"""The engine: group a batch by (rule, device), merge with the carried state, evaluate, run the state machine.

State per (rule_code, device_id) is a JSON-serialisable dict::

    {"level": "orange",            # current level
     "last_time": 1751342400,      # latest reading time seen (epoch s)
     "t": [...], "v": [...],       # window buffer: readings with t >= last_time - horizon (at least the last one)
     "pending": {"red": 1751340000},   # levels waiting for min_duration_s, with the time the condition began
     "value": 57.5,                # rule value at the last evaluation (null when undefined)
     "extra": {...}}               # rule-specific (tangential angle: learned constant velocity)

Late readings (older than ``last_time``) are inserted into the buffer, evaluated at their own time with every
reading the buffer holds, and may raise the level at once (stamped at their own time, min_duration_s == 0 only);
the rule is then re-evaluated at ``last_time`` with the late reading included, which drives the normal
transitions (e.g. a late red gas reading yields red at its time and, if the later readings are clean, none at
last_time).  A reading at a time already in the buffer replaces the buffered one (re-delivery is idempotent);
within a batch the last of duplicate (device, metric, time) readings wins.  A late reading older than
``last_time - horizon`` is evaluated on the part of its window the buffer still holds.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

from .evaluators import Comb, Compiled, Composite, RuleError, compile_rule, jsonable
from .machine import run_machine
from .types import LEVEL_INDEX, LEVELS, DeviceSpec, LevelChange, ReadingBatch, RuleSpec

_FAR_PAST = -(1 << 62)
_LEVEL_NAMES = list(LEVELS)


class Engine:
    """Evaluates a list of rules over reading batches; holds no per-device state itself (it travels in ``state``)."""

    def __init__(self, rules: list[RuleSpec]):
        codes = [r.code for r in rules]
        dupes = {c for c in codes if codes.count(c) > 1}
        if dupes:
            raise RuleError(f"duplicate rule codes: {', '.join(sorted(dupes))}")
        self.rules = list(rules)
        self.compiled: dict[str, Compiled] = {r.code: compile_rule(r) for r in rules}
        self.order: list[str] = [r.code for r in rules if r.rule_type != "composite"]
        done = set(self.order)
        pending = [r.code for r in rules if r.rule_type == "composite"]
        while pending:  # composites after their members (members may be composites too)
            ready = [c for c in pending if all(m in done for m in self.compiled[c].members)]
            if not ready:
                missing = {m for c in pending for m in self.compiled[c].members if m not in self.compiled}
                raise RuleError(f"composite rules reference unknown or cyclic rules: {sorted(missing) or pending}")
            for c in ready:
                self.order.append(c)
                done.add(c)
                pending.remove(c)

    # ------------------------------------------------------------------------------------------------------------
    def evaluate(self, batch: ReadingBatch, devices: dict[int, DeviceSpec],
                 state: dict[tuple[str, int], dict] | None) -> tuple[list[LevelChange], dict[tuple[str, int], dict]]:
        state = state if state is not None else {}
        out_changes: list[LevelChange] = []
        out_state: dict[tuple[str, int], dict] = {}
        if len(batch) == 0:
            return out_changes, out_state

        # 1. devices: rank of each reading's device, the device's kind
        dev = batch.device_ids
        o1 = np.argsort(dev, kind="stable")
        ds = dev[o1]
        newdev = np.ones(len(ds), dtype=bool)
        newdev[1:] = ds[1:] != ds[:-1]
        udev = ds[newdev]
        rank_sorted = np.cumsum(newdev) - 1
        kinds: dict[str, int] = {}
        kind_code = np.full(len(udev), -1, dtype=np.int32)
        dget = devices.get
        for i, d in enumerate(udev.tolist()):
            spec = dget(d)
            if spec is not None:
                kind_code[i] = kinds.setdefault(spec.kind, len(kinds))
        metric_sorted = batch.metric_codes[o1]
        row_kind_sorted = kind_code[rank_sorted]
        t_min = int(batch.times_s.min())
        t_max = int(batch.times_s.max())
        if t_max - t_min >= (1 << 33):
            raise ValueError("batch spans more than 2**33 seconds")

        selections: dict[tuple, tuple] = {}
        levels_now: dict[str, dict] = {}  # rule -> per-device timeline info for composites

        for code in self.order:
            rule = self.compiled[code]
            spec = rule.spec
            if isinstance(rule, Composite):
                self._composite(rule, levels_now, state, out_changes, out_state)
                continue
            if spec.metric not in batch.metric_names:
                continue
            mcode = batch.metric_names.index(spec.metric)
            kc = kinds.get(spec.device_kind, -2) if spec.device_kind else None
            sel_key = (mcode, kc)
            if sel_key not in selections:
                mask = metric_sorted == mcode
                mask &= (row_kind_sorted >= 0) if kc is None else (row_kind_sorted == kc)
                rows = o1[mask]
                rk = rank_sorted[mask]
                tt = batch.times_s[rows]
                key = (rk.astype(np.int64) << 34) | (tt - t_min)
                if len(key) > 1 and not (key[1:] >= key[:-1]).all():
                    o2 = np.argsort(key, kind="stable")
                    rows, rk, key = rows[o2], rk[o2], key[o2]
                if len(key) > 1:  # duplicates: the last one (in input order) wins
                    keep = np.ones(len(key), dtype=bool)
                    keep[:-1] = key[1:] != key[:-1]
                    if not keep.all():
                        rows, rk = rows[keep], rk[keep]
                selections[sel_key] = (rows, rk)
            rows, rk = selections[sel_key]
            if len(rows) == 0:
                continue
            self._evaluate_rule(rule, batch, rows, rk, udev, devices, state, out_changes, out_state, levels_now)

        out_changes.sort(key=lambda ch: (ch.time_s, ch.device_id, self.order.index(ch.rule_code)))
        return out_changes, out_state

    # ------------------------------------------------------------------------------------------------------------
    def _evaluate_rule(self, rule: Compiled, batch, rows, rk, udev, devices, state, out_changes, out_state,
                       levels_now):
        spec = rule.spec
        code = spec.code
        gfirst = np.ones(len(rk), dtype=bool)
        gfirst[1:] = rk[1:] != rk[:-1]
        new_g = np.cumsum(gfirst) - 1
        group_dev = udev[rk[gfirst]]
        G = len(group_dev)
        nt = batch.times_s[rows]
        nv = batch.values[rows]

        # 2. carried state
        dev_list = group_dev.tolist()
        init_level = np.zeros(G, dtype=np.int8)
        last_time = np.full(G, _FAR_PAST, dtype=np.int64)
        pend_in: list[dict | None] = [None] * G
        extra: list[dict | None] = [None] * G
        buf_t: list = []
        buf_v: list = []
        nb = np.zeros(G, dtype=np.int64)
        sget = state.get
        for i, d in enumerate(dev_list):
            st = sget((code, d))
            if not st:
                continue
            init_level[i] = LEVEL_INDEX.get(st.get("level", "none"), 0)
            lt = st.get("last_time")
            if lt is not None:
                last_time[i] = lt
            p = st.get("pending")
            if p:
                pend_in[i] = {LEVEL_INDEX[k]: int(s) for k, s in p.items()}
            extra[i] = st.get("extra")
            bt = st.get("t")
            if bt:
                buf_t.append(bt)
                buf_v.append(st["v"])
                nb[i] = len(bt)
        NB = int(nb.sum())
        if NB:
            bt_arr = np.fromiter(chain.from_iterable(buf_t), dtype=np.int64, count=NB)
            bv_arr = np.fromiter(chain.from_iterable(buf_v), dtype=np.float64, count=NB)
            t0 = min(int(nt.min()), int(bt_arr.min()))
            nn = np.bincount(new_g, minlength=G)
            tot = nb + nn
            off = np.cumsum(tot) - tot
            M = NB + len(nt)
            g = np.empty(M, dtype=np.int64)
            t = np.empty(M, dtype=np.int64)
            v = np.empty(M)
            isnew = np.empty(M, dtype=bool)
            bg = np.repeat(np.arange(G), nb)
            pos_b = off[bg] + (np.arange(NB) - (np.cumsum(nb) - nb)[bg])
            pos_n = off[new_g] + nb[new_g] + (np.arange(len(nt)) - (np.cumsum(nn) - nn)[new_g])
            g[pos_b], t[pos_b], v[pos_b], isnew[pos_b] = bg, bt_arr, bv_arr, False
            g[pos_n], t[pos_n], v[pos_n], isnew[pos_n] = new_g, nt, nv, True
            k2 = (g << 35) | ((t - t0) << 1) | isnew
            if not (k2[1:] >= k2[:-1]).all():
                o = np.argsort(k2, kind="stable")
                g, t, v, isnew, k2 = g[o], t[o], v[o], isnew[o], k2[o]
            kk = k2 >> 1
            keep = np.ones(M, dtype=bool)
            keep[:-1] = kk[1:] != kk[:-1]  # same (group, time): keep the later row (the new one)
            if not keep.all():
                g, t, v, isnew, kk = g[keep], t[keep], v[keep], isnew[keep], kk[keep]
            key = kk
        else:
            t0 = int(nt.min())
            g, t, v = new_g.astype(np.int64), nt, nv
            isnew = np.ones(len(nt), dtype=bool)
            key = (g << 34) | (t - t0)
        if int(t.max()) - t0 >= (1 << 33):
            raise ValueError(f"rule {code}: buffered and new readings span more than 2**33 seconds")
        M = len(t)
        gs = np.ones(M, dtype=bool)
        gs[1:] = g[1:] != g[:-1]
        gstart = np.flatnonzero(gs)
        gend = np.append(gstart[1:], M)

        lt_row = last_time[g]
        late = isnew & (t < lt_row)
        has_late = np.zeros(G, dtype=bool)
        if late.any():
            has_late[g[late]] = True
            ev_mask = isnew | (has_late[g] & (t == lt_row))
        else:
            ev_mask = isnew
        ev = np.flatnonzero(ev_mask)

        dparams = [None] * G
        needs_params = getattr(rule, "per_device", False) or rule.uses_extra
        if needs_params:
            for i, d in enumerate(dev_list):
                ds = devices.get(d)
                dparams[i] = ds.params if ds is not None else {}
        comb = Comb(g=g, t=t, v=v, key=key, t0=t0, gstart=gstart, gend=gend, ev=ev, device_params=dparams,
                    extra=extra)

        # 3. evaluate and run the state machine
        val, up, hold = rule.evaluate(comb)
        ev_g = g[ev]
        ev_t = t[ev]
        crow, cnew, cprev, final_level, pend_out = run_machine(ev_g, ev_t, up, hold, late[ev], init_level, pend_in,
                                                               spec.min_duration_s)
        hz = spec.hazard_type
        if len(crow):
            ct = ev_t[crow].tolist()
            cd = group_dev[ev_g[crow]].tolist()
            cv = val[crow].tolist()
            for tt, dd, nw, pv, vv in zip(ct, cd, cnew.tolist(), cprev.tolist(), cv):
                out_changes.append(LevelChange(tt, dd, code, hz, _LEVEL_NAMES[nw], _LEVEL_NAMES[pv], vv))

        # 4. new state
        last_new = t[gend - 1]
        if rule.horizon_s > 0:
            keepb = t >= (last_new[g] - rule.horizon_s)
            kt, kv, kg = t[keepb], v[keepb], g[keepb]
            kcount = np.bincount(kg, minlength=G)
            kend = np.cumsum(kcount)
            kstart = kend - kcount
            kt_l, kv_l = kt.tolist(), kv.tolist()
        else:
            kt_l, kv_l = t[gend - 1].tolist(), v[gend - 1].tolist()
            kstart = np.arange(G)
            kend = kstart + 1
        # last evaluated value per group
        ev_last = np.ones(len(ev), dtype=bool)
        ev_last[:-1] = ev_g[1:] != ev_g[:-1]
        last_val = np.full(G, np.nan)
        last_val[ev_g[ev_last]] = val[ev_last]
        lv_l = [x if x == x and x not in (np.inf, -np.inf) else None for x in last_val.tolist()]
        ln_l = last_new.tolist()
        fl_l = final_level.tolist()
        ks_l, ke_l = kstart.tolist(), kend.tolist()
        new_extra = comb.new_extra if rule.uses_extra else None
        for i, d in enumerate(dev_list):
            st = {"level": _LEVEL_NAMES[fl_l[i]], "last_time": max(ln_l[i], int(last_time[i])),
                  "t": kt_l[ks_l[i]:ke_l[i]], "v": kv_l[ks_l[i]:ke_l[i]], "value": lv_l[i]}
            p = pend_out[i]
            if p:
                st["pending"] = {_LEVEL_NAMES[k]: int(s) for k, s in p.items()}
            if new_extra is not None and new_extra[i] is not None:
                st["extra"] = {k: jsonable(x) for k, x in new_extra[i].items()}
            elif extra[i]:
                st["extra"] = extra[i]
            out_state[(code, d)] = st

        # for composites: initial level, changes and latest time per device
        levels_now[code] = {"devices": dev_list, "init": init_level.tolist(), "last": ln_l,
                            "changes": [c for c in out_changes if c.rule_code == code] if len(crow) else []}

    # ------------------------------------------------------------------------------------------------------------
    def _composite(self, rule: Composite, levels_now, state, out_changes, out_state):
        """Member levels per device over time -> min/max -> the same state machine (hysteresis is not used)."""
        spec = rule.spec
        code = spec.code
        members = rule.members
        touched: dict[int, int] = {}
        events: dict[int, list] = {}
        for m in members:
            info = levels_now.get(m)
            if not info:
                continue
            for d, last in zip(info["devices"], info["last"]):
                touched[d] = max(touched.get(d, _FAR_PAST), last)
            for ch in info["changes"]:
                events.setdefault(ch.device_id, []).append((ch.time_s, m, LEVEL_INDEX[ch.level]))
        if not touched:
            return
        devs = sorted(touched)
        init_maps = {m: (dict(zip(levels_now[m]["devices"], levels_now[m]["init"])) if m in levels_now else {})
                     for m in members}
        agg = min if rule.mode == "all" else max
        ev_g, ev_t, up, late_l = [], [], [], []
        G = len(devs)
        init_level = np.zeros(G, dtype=np.int8)
        pend_in: list[dict | None] = [None] * G
        last_time = []
        for gi, d in enumerate(devs):
            st = state.get((code, d)) or {}
            init_level[gi] = LEVEL_INDEX.get(st.get("level", "none"), 0)
            if st.get("pending"):
                pend_in[gi] = {LEVEL_INDEX[k]: int(s) for k, s in st["pending"].items()}
            lt = st.get("last_time", _FAR_PAST)
            last_time.append(max(lt, touched[d]))
            cur = {}
            for m in members:  # member levels before this batch
                lvl = init_maps[m].get(d)
                if lvl is None:
                    lvl = LEVEL_INDEX.get((state.get((m, d)) or {}).get("level", "none"), 0)
                cur[m] = lvl
            evs = sorted(events.get(d, []))
            evs.append((touched[d], None, None))  # re-evaluate at the device's latest time
            for tt, m, lvl in evs:
                if m is not None:
                    cur[m] = lvl
                ev_g.append(gi)
                ev_t.append(tt)
                up.append(agg(cur.values()))
                late_l.append(tt < lt)
        ev_g_a = np.asarray(ev_g, dtype=np.int64)
        ev_t_a = np.asarray(ev_t, dtype=np.int64)
        up_a = np.asarray(up, dtype=np.int8)
        order = np.lexsort((ev_t_a, ev_g_a))
        ev_g_a, ev_t_a, up_a = ev_g_a[order], ev_t_a[order], up_a[order]
        late_a = np.asarray(late_l, dtype=bool)[order]
        crow, cnew, cprev, final_level, pend_out = run_machine(ev_g_a, ev_t_a, up_a, up_a, late_a, init_level,
                                                               pend_in, spec.min_duration_s)
        for r, nw, pv in zip(crow.tolist(), cnew.tolist(), cprev.tolist()):
            out_changes.append(LevelChange(int(ev_t_a[r]), devs[ev_g_a[r]], code, spec.hazard_type,
                                           _LEVEL_NAMES[nw], _LEVEL_NAMES[pv], float(up_a[r])))
        for gi, d in enumerate(devs):
            st = {"level": _LEVEL_NAMES[int(final_level[gi])], "last_time": int(last_time[gi]), "t": [], "v": [],
                  "value": None}
            if pend_out[gi]:
                st["pending"] = {_LEVEL_NAMES[k]: int(s) for k, s in pend_out[gi].items()}
            out_state[(code, d)] = st
        levels_now[code] = {"devices": devs, "init": init_level.tolist(), "last": [touched[d] for d in devs],
                            "changes": [c for c in out_changes if c.rule_code == code]}
