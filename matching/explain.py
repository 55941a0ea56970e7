"""Why each candidate did not get each placement it ranks above its own.

For every placement p that candidate c ranks strictly above its assignment
(in its own preference groups: a placement tied with the assignment is not
explained), the first of these that holds, each checkable against the round
and the result:

* ``not_acceptable``: p (or p's mentor) does not rank c;
* ``ineligible``: the pair breaks a graph rule (`rule` names it);
* ``full``: p holds its capacity; `cutoff` is the assignee p ranks lowest;
* ``mentor_full``: p's mentor holds its capacity; `cutoff` is the mentor's
  lowest-ranked assignee;
* ``policy``: (c, p) blocks, and a policy excuses it (`policy` names the
  first one that does: matching.verify.PolicyStability); or, not blocking,
  moving c to p would break a policy at its bound: a ceiling covering (c, p)
  but not c's current pair, or a floor covering c's current pair but not
  (c, p);
* ``welfare``: none of the above; moving c alone would change the welfare
  objective by `gain` (never positive in a proven-optimal result).

With the coordinator's overrides (matching.overrides) two more:

* ``forbidden``: the coordinator forbade the pair;
* ``pinned``: c is pinned where it is (every placement it ranks higher), or
  p's seat went to a pinned candidate p ranks below c (or does not rank),
  named in `cutoff` (the pair is in the result's `blocked_by_pins`). A
  placement full with pinned candidates p ranks above c is ``full``, the
  cutoff the lowest of them.
"""

from __future__ import annotations

from bisect import bisect_left

from matching.base import Assignment, Weights
from matching.encode import Market
from matching.model import Explanation, Reason
from matching.objective import pair_weight
from matching.verify import UNRANKED, PolicyStability, Verification


def explain(
    market: Market,
    assignment: Assignment,
    check: Verification,
    weights: Weights,
    fairness: PolicyStability | None = None,
) -> dict[int, tuple[Explanation, ...]]:
    out: dict[int, tuple[Explanation, ...]] = {}
    occ = check.occupancy
    # The common reason, worked out once per placement: full, with its cutoff.
    # (One shared object per placement: the result document writes it once.)
    pids, refusals = market.placement_ids, market.refusals
    # a pair a policy excuses: one shared reason per placement and policy
    policy_reasons: dict[tuple[int, int], Explanation] = {}
    excused: dict[int, dict[int, Explanation]] = {}  # c → p → reason
    for c, p, k in fairness.excused if fairness else ():
        reason = policy_reasons.get((p, k))
        if reason is None:
            reason = Explanation(pids[p], Reason.POLICY, policy=market.policies[k].id)
            policy_reasons[p, k] = reason
        excused.setdefault(c, {})[p] = reason
    full = [
        Explanation(pids[p], Reason.FULL, market.candidate_ids[w]) if n >= cap and w >= 0 else None
        for p, (n, cap, w) in enumerate(zip(occ.count, market.capacity, occ.worst, strict=True))
    ]
    is_full = [reason is not None for reason in full]
    by_pin = {(c, p): d for c, p, d in check.blocked_by_pins}
    # the candidates whose reasons need more than "full" or a policy's excuse:
    # pinned, blocked by a pin or refused somewhere
    special = {*market.pinned, *(c for c, _ in by_pin), *(c for c, _ in refusals)}
    for c, current in enumerate(assignment):
        # Strictly above in c's own preferences: a placement tied with the
        # assignment is not one c preferred (the lottery only orders the tie).
        limit = market.pref_group(c, current) if current >= 0 else market.pref_groups[c] + 1
        above = market.listed[c][: bisect_left(market.listed_groups[c], limit)]
        if not above:
            continue
        if c not in special:
            if c not in excused and all(map(is_full.__getitem__, above)):  # the common case
                out[c] = tuple(map(full.__getitem__, above))  # type: ignore[arg-type]
            else:
                mine = excused.get(c, {})
                out[c] = tuple(
                    mine.get(p) or full[p] or _why(market, assignment, check, weights, c, p)
                    for p in above
                )
            continue
        reasons = []
        mine = excused.get(c, {})
        for p in above:
            reason = full[p]
            if c in market.pinned:
                reasons.append(Explanation(pids[p], Reason.PINNED))
            elif (c, p) in by_pin:
                cutoff = market.candidate_ids[by_pin[c, p]]
                reasons.append(Explanation(pids[p], Reason.PINNED, cutoff))
            elif p in mine:
                reasons.append(mine[p])
            elif reason is not None and (c, p) not in refusals:
                reasons.append(reason)
            else:
                reasons.append(_why(market, assignment, check, weights, c, p))
        out[c] = tuple(reasons)
    return out


def _why(
    market: Market,
    assignment: Assignment,
    check: Verification,
    weights: Weights,
    c: int,
    p: int,
) -> Explanation:
    place = market.placement_ids[p]
    refusal = market.refusals.get((c, p))
    if refusal is not None:
        return Explanation(place, refusal[0], rule=refusal[1])
    occ = check.occupancy
    if occ.count[p] >= market.capacity[p]:
        worst = occ.worst[p]
        if worst < 0:  # every seat pinned, to candidates p ranks above c
            worst = _lowest_pin(
                market.place_rank[p], [d for d, q in market.pinned.items() if q == p]
            )
        return Explanation(place, Reason.FULL, cutoff=market.candidate_ids[worst])
    m = market.mentor_of[p]
    if m >= 0 and occ.mentor_count[m] >= market.mentor_capacity[m]:
        worst = occ.mentor_worst[m]
        if worst < 0:  # every seat of the mentor's pinned
            pins = [d for d, q in market.pinned.items() if market.mentor_of[q] == m]
            worst = _lowest_pin(market.mentor_rank[m], pins)
        return Explanation(
            place,
            Reason.MENTOR_FULL,
            mentor=market.mentor_ids[m],
            cutoff=market.candidate_ids[worst],
        )
    current = assignment[c]
    # only a policy covering one of the two pairs can stand in the way
    held = market.coverage.of(c, current) if current >= 0 else ()
    wanted = market.coverage.of(c, p)
    for k in sorted({*held, *wanted}):
        policy, value = market.policies[k], check.policy_values[k]
        now, after = k in held, k in wanted
        if (policy.max is not None and after and not now and value >= policy.max) or (
            policy.min is not None and now and not after and value <= policy.min
        ):
            return Explanation(place, Reason.POLICY, policy=policy.id)
    gain = pair_weight(market, c, p, weights)
    if current >= 0:
        gain -= pair_weight(market, c, current, weights)
    return Explanation(place, Reason.WELFARE, gain=round(gain, 6))


def _lowest_pin(rank: dict[int, int], pins: list[int]) -> int:
    """The pinned candidate a placement or mentor ranks lowest (unranked lowest)."""
    return max(pins, key=lambda d: rank.get(d, UNRANKED))
