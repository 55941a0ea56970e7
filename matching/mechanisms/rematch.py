"""Re-matching a round after its result was published and the round changed
(candidates declined or left, placements were withdrawn or changed their
seats): a matching of the changed round in which

1. every candidate who still holds a seat of the published result keeps it
   or gets one they prefer (nobody is worse off); a candidate whose seat is
   gone (its placement withdrawn, its seats cut below its holders, or the
   pair no longer acceptable) is *displaced* and may go anywhere;
2. no pair blocks it (stability on the changed round), or, where the first
   condition makes that impossible, as few pairs as possible;
3. as few candidates as possible are placed differently from the published
   result (a displaced candidate always is).

**Where a stable matching leaves everyone as well off** (the published
result was stable and no policy it met binds) the answer is
placement-proposing deferred acceptance on the changed round with each
seat-holder's list cut after their seat. Every
stable matching of that cut market in which the seat-holders are all placed
is a stable matching of the changed round that leaves nobody worse off, and
conversely; these form a lattice whose candidate-pessimal element is the one
placement-proposing deferred acceptance finds. In it a candidate is placed
differently only if they are in every such matching (each is weakly better
for every candidate than the pessimal one, and a seat-holder placed at their
old seat in one is placed there in the pessimal one too), and by the rural
hospitals theorem the candidates placed are the same in all of them: so it
moves the fewest candidates among them (Gajulapalli, Liu, Mai, Vazirani on
minimal-change stable matchings; the seat guarantee is that of Feigenbaum,
Kanoria, Lo and Sethuraman, Management Science 2020, for reassignment after
late cancellations). **With mentors** the same holds of the SPA-lecturer
algorithm on the cut lists (Abraham, Irving, Manlove 2007, §4): the
lecturer-optimal stable matching is the student-pessimal one, and every
stable matching of an SPA instance places the same students (shown in
the same paper), so it too moves the fewest (checked by enumeration with
mentors as without).

**Where the seat guarantee itself forbids stability** (a displaced or new
candidate whom a placement ranks above one of the holders it keeps: no
stable matching leaves that holder as well off) each kept holder ranks
first at its seat, the *protected* market, and the same algorithm runs on
it: every stable matching of the protected cut market keeps every seat (a
holder heads its seat's ranking and the seat has room for all its kept
holders), so its candidate-pessimal one moves the fewest among them, by
the argument above. Its only blocking pairs are those the guarantee makes:
a placement holding a protected holder it ranks below the candidate. This
is the seat guarantee of Feigenbaum et al. (a seat, once offered, is kept);
it runs in the time of deferred acceptance (the Changzhou round with a
post withdrawn: well under a second, where the MILP took 48 s).

**Otherwise** (a published result that was not stable, or a policy it met
that the freed seats would break) the welfare model's MILP with its
stability rows counted: the seat guarantee as constraints, the fewest
blocking pairs first, then the fewest moves, within the time limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from matching.base import Assignment, Outcome, SolveOptions, SolverStatus
from matching.encode import Market
from matching.mechanisms.deferred_acceptance import placement_proposing
from matching.mechanisms.spa import spa_lecturer
from matching.model import Stability, Status
from matching.verify import verify

NONE, GONE = -1, -2  # no seat; a seat at a placement no longer in the round


@dataclass(frozen=True)
class Seats:
    """The published result as the changed market sees it: each candidate's
    seat (a placement, NONE or GONE), and whether it is still theirs to keep."""

    seat: tuple[int, ...]
    kept: tuple[bool, ...]

    def displaced(self) -> list[int]:
        """The candidates who held a seat that is no longer theirs."""
        return [
            c
            for c, (p, k) in enumerate(zip(self.seat, self.kept, strict=True))
            if p != NONE and not k
        ]

    def moved(self, c: int, p: int) -> bool:
        """Whether placing c at p (-1: nowhere) places c differently."""
        return self.seat[c] == GONE or p != self.seat[c]


def seats(market: Market, previous: Mapping[str, str | None]) -> Seats:
    """Each candidate's published seat in the changed market. A seat is kept
    unless its placement is gone, the pair is no longer acceptable, or the
    placement now has fewer seats than holders (then its lowest-ranked
    holders lose theirs). A candidate new to the round had no seat."""
    index = {pid: p for p, pid in enumerate(market.placement_ids)}
    seat = []
    for cid in market.candidate_ids:
        pid = previous.get(cid)
        seat.append(NONE if pid is None else index.get(pid, GONE))
    kept = [p >= 0 and p in market.prefs[c] for c, p in enumerate(seat)]
    for p, cap in enumerate(market.capacity):
        ranks = market.place_rank[p]
        holders = sorted(
            (c for c, q in enumerate(seat) if q == p and kept[c]), key=ranks.__getitem__
        )
        for c in holders[cap:]:
            kept[c] = False
    return Seats(tuple(seat), tuple(kept))


def cut(market: Market, held: Seats) -> Market:
    """The market with each seat-holder's list cut after their seat: they
    accept nothing worse, and no placement they cut off ranks them."""
    prefs = [list(ps) for ps in market.prefs]
    dropped: set[tuple[int, int]] = set()
    for c, (p, keep) in enumerate(zip(held.seat, held.kept, strict=True)):
        if keep:
            at = prefs[c].index(p)
            dropped.update((c, q) for q in prefs[c][at + 1 :])
            prefs[c] = prefs[c][: at + 1]
    place_rank = tuple(
        {c: r for c, r in ranks.items() if (c, p) not in dropped}
        for p, ranks in enumerate(market.place_rank)
    )
    led: list[list[int]] = [[] for _ in market.mentor_ids]
    for p, m in enumerate(market.mentor_of):
        if m >= 0:
            led[m].append(p)
    # a mentor ranks whom its placements still rank
    mentor_rank = tuple(
        {c: r for c, r in ranks.items() if any(c in place_rank[p] for p in led[m])}
        for m, ranks in enumerate(market.mentor_rank)
    )
    return replace(
        market,
        prefs=tuple(tuple(ps) for ps in prefs),
        place_rank=place_rank,
        mentor_rank=mentor_rank,
    )


PROTECTED = 2**62  # taken off a kept holder's rank at its seat: above any other


def protect(market: Market, held: Seats) -> Market:
    """The market in which each kept holder ranks first at its seat and at
    its seat's mentor (in their own order among themselves)."""
    place_rank = list(market.place_rank)
    mentor_rank = list(market.mentor_rank)
    for c, (p, keep) in enumerate(zip(held.seat, held.kept, strict=True)):
        if not keep:
            continue
        place_rank[p] = {**place_rank[p], c: place_rank[p][c] - PROTECTED}
        m = market.mentor_of[p]
        if m >= 0 and c in mentor_rank[m]:
            mentor_rank[m] = {**mentor_rank[m], c: mentor_rank[m][c] - PROTECTED}
    return replace(market, place_rank=tuple(place_rank), mentor_rank=tuple(mentor_rank))


def moves(held: Seats, assignment: Assignment) -> int:
    """How many candidates are placed differently from the published result."""
    return sum(held.moved(c, p) for c, p in enumerate(assignment))


def fewest_moves(
    market: Market,
    options: SolveOptions,
    held: Seats,
    enforced: frozenset[str],
    was_stable: bool = True,
) -> Outcome:
    """The re-match described above: stable where the seat guarantee allows,
    then with the fewest moves. `enforced`: the policies the published result
    met, which still hold; one it broke is reported, not enforced now.
    `was_stable`: whether the published result was (else the MILP decides
    whenever deferred acceptance does not give a stable answer)."""
    met = [g.id in enforced for g in market.policies]
    narrowed = cut(market, held)
    propose = spa_lecturer if market.has_mentors else placement_proposing
    start = propose(narrowed)
    if _fits(market, held, start, met) and not verify(market, start).blocking_pairs:
        return Outcome(start, stability=Stability.REQUIRED)
    if was_stable:
        guarded = propose(protect(narrowed, held))
        if _fits(market, held, guarded, met):
            return Outcome(guarded, stability=Stability.RELAXED)
    return _by_milp(market, options, held, met)


def _fits(market: Market, held: Seats, assignment: Assignment, met: list[bool]) -> bool:
    """Every kept seat's holder placed (the cut lists: there or better), and
    every policy the published result met still met."""
    seated = all(assignment[c] >= 0 for c, k in enumerate(held.kept) if k)
    return seated and all(
        now or not then for now, then in zip(_met(market, assignment), met, strict=True)
    )


def _by_milp(market: Market, options: SolveOptions, held: Seats, met: list[bool]) -> Outcome:
    """No stable matching leaves everyone who keeps a seat as well off within
    the policies (the published result was not stable, or a policy binds):
    the MILP, the fewest blocking pairs first, then the fewest moves."""
    from matching.solvers import milp  # PuLP, imported only for this case

    policies = [g for g, ok in zip(market.policies, met, strict=True) if ok]
    used = milp.named(options)
    kept = tuple(p if k else -1 for p, k in zip(held.seat, held.kept, strict=True))
    model = milp.build(market, options, policies, stability="counted")
    milp.keep_seats(market, model, held.seat, held.kept)
    milp.fewest_blocking_first(model)
    if _fits(market, held, kept, met):
        milp.start(market, model, kept)
    first = milp.run(model, options)
    if first is SolverStatus.INFEASIBLE:  # the policies cannot hold beside the kept seats
        return Outcome(kept, Status.INFEASIBLE, solver=used)
    milp.keep_fewest_blocking(model)
    milp.fewest_moves(model, held.seat)
    second = milp.run(model, options)
    proven = SolverStatus.OPTIMAL == first == second
    return Outcome(
        milp.assignment_of(market, model),
        Status.OPTIMAL if proven else Status.TIME_LIMIT,
        solver=used,
        stability=Stability.RELAXED,
    )


def _met(market: Market, assignment: Assignment) -> list[bool]:
    """Whether each policy of the market holds for `assignment`."""
    return [
        (g.min is None or v >= g.min) and (g.max is None or v <= g.max)
        for g, v in zip(market.policies, verify(market, assignment).policy_values, strict=True)
    ]
