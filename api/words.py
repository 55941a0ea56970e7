"""What a person reads in place of a code: the words for each vocabulary value
(api/locale/glossary.md) and each reason as a sentence with the figures that
make it checkable. Pages, exports and the report all read them from here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.i18n import N_, _, number

# every vocabulary value a page shows, in English; its Chinese is in the catalog
TERMS: dict[str, str] = {
    # round states
    "draft": N_("draft"),
    "open": N_("open"),
    "closed": N_("closed"),
    "published": N_("published"),
    # run states
    "queued": N_("queued"),
    "running": N_("running"),
    "solved": N_("solved"),
    "failed": N_("failed"),
    "cancelled": N_("cancelled"),
    # roles
    "coordinator": N_("coordinator"),
    "enterprise": N_("enterprise"),
    "college": N_("college"),
    "institute": N_("research institute"),
    # organization kinds
    "government": N_("government"),
    "park": N_("park"),
    "studio": N_("master-craftsman studio"),
    # placement kinds
    "apprenticeship": N_("apprenticeship"),
    "internship": N_("internship"),
    "research_host": N_("research host"),
    # candidate kinds
    "student": N_("student"),
    "apprentice": N_("apprentice"),
    "project": N_("research project"),
    # levels
    "secondary_vocational": N_("secondary vocational"),
    "higher_vocational": N_("higher vocational"),
    "undergraduate": N_("undergraduate"),
    "postgraduate": N_("postgraduate"),
    # the seed's four talent tiers
    "leading_scientist": N_("industry-leading scientist"),
    "top_innovative": N_("top innovative talent"),
    "young_reserve": N_("young reserve talent"),
    "engineering_technician": N_("engineering technician"),
    # mechanisms
    "stable": N_("stable matching (candidate-proposing)"),
    "stable-placement": N_("stable matching (placement-proposing)"),
    "optimal": N_("welfare-optimal"),
    "policy-stable": N_("policy-stable matching"),
    # policies
    "floor": N_("floor"),
    "ceiling": N_("ceiling"),
    # after publication: changes, overrides and why someone moved
    "decline": N_("declined the seat"),
    "withdraw": N_("withdrew from the round"),
    "withdraw_placement": N_("placement withdrawn"),
    "seats": N_("seats changed"),
    "pin": N_("pinned to the placement"),
    "forbid": N_("pair forbidden"),
    "hardship": N_("family hardship"),
    "health": N_("health"),
    "disability": N_("disability"),
    "legal": N_("legal reasons"),
    "other": N_("other reasons"),
    "declined": N_("declined and left the round"),
    "withdrew": N_("withdrew from the round"),
    "placement_withdrawn": N_("their placement was withdrawn"),
    "seats_cut": N_("their placement has fewer seats"),
    "pinned": N_("manual override: pinned"),
    "forbidden": N_("manual override: pair forbidden"),
    "moved_up": N_("a seat they preferred became free"),
    "displaced_by_pin": N_("a manual override took their seat"),
    # stability of an optimal run
    "required": N_("stability required"),
    "relaxed": N_("fewest blocking pairs"),
    "ignored": N_("stability not required"),
}
# how a solve ended (its own vocabulary: "optimal" is also a mechanism)
STATUSES: dict[str, str] = {
    "optimal": N_("proven optimal"),
    "feasible": N_("feasible (stopped at the time limit)"),
    "infeasible": N_("infeasible"),
    "no_solution": N_("no solution within the time limit"),
}


# where a running solve is: the worker's own stages and the engine's
# (matching.base.Stage), in order
STAGES: dict[str, str] = {
    "claimed": N_("claimed by a worker"),
    "loading": N_("reading the snapshot"),
    "starting": N_("starting the solve"),
    "graph": N_("building the consortium graph"),
    "solve": N_("solving"),
    "verify": N_("checking the result"),
    "explain": N_("writing the reasons"),
    "metrics": N_("counting the figures"),
    "storing": N_("storing the result"),
}


# the audit trail's operations (the API's method and route, or the worker's
# and the sign-in's own), as a person reads them
OPERATIONS: dict[str, str] = {
    "POST /organizations": N_("added a member organization"),
    "POST /links": N_("linked two organizations"),
    "POST /sessions": N_("signed in"),
    "sign-in refused": N_("sign-in refused"),
    "DELETE /sessions/current": N_("signed out"),
    "POST /organizations/{org}/people": N_("added an account"),
    "PATCH /people/{person_id}": N_("changed an account"),
    "PUT /people/{person_id}/password": N_("reset a password"),
    "DELETE /people/{person_id}/sessions": N_("ended someone's sessions"),
    "PUT /me/password": N_("changed their own password"),
    "POST /tokens": N_("issued a token"),
    "DELETE /tokens/{token_id}": N_("revoked a token"),
    "POST /rounds": N_("created a round"),
    "POST /rounds/{round}/import": N_("imported the whole round"),
    "POST /rounds/{round}/open": N_("opened registration"),
    "POST /rounds/{round}/close": N_("closed registration"),
    "POST /rounds/{round}/placements": N_("saved placements in a batch"),
    "PUT /rounds/{round}/placements/{item}": N_("saved a placement"),
    "DELETE /rounds/{round}/placements/{item}": N_("withdrew a placement"),
    "PUT /rounds/{round}/placements/{item}/ranking": N_("saved a ranking"),
    "POST /rounds/{round}/candidates": N_("saved candidates in a batch"),
    "PUT /rounds/{round}/candidates/{item}": N_("saved a candidate"),
    "DELETE /rounds/{round}/candidates/{item}": N_("withdrew a candidate"),
    "POST /rounds/{round}/runs": N_("started a solve"),
    "POST /rounds/{round}/runs/{run}/cancel": N_("cancelled a solve"),
    "POST /rounds/{round}/runs/{run}/publish": N_("published a result"),
    "POST /rounds/{round}/changes": N_("recorded a change after publication"),
    "PUT /rounds/{round}/overrides/{candidate}/{placement}": N_("saved a manual override"),
    "DELETE /rounds/{round}/overrides/{candidate}/{placement}": N_("removed a manual override"),
    "POST /rounds/{round}/rematch": N_("started a re-match"),
    "POST /rounds/{round}/second-round": N_("opened a second round"),
    "run solved": N_("the solve finished"),
    "run failed": N_("the solve failed"),
}


def operation(value: str) -> str:
    return _(OPERATIONS[value]) if value in OPERATIONS else value


def stage(value: str) -> str:
    return _(STAGES[value]) if value in STAGES else value


# the English words matching.charts writes (their Chinese is in the catalog)
CHART_WORDS = (
    N_("Choice obtained"),
    N_("choice"),
    N_("none"),
    N_("Seats filled by park"),
    N_("Candidates placed by college or institute"),
    N_("Candidates placed by kind"),
    N_("Candidates placed by tier"),
    N_("placed"),
    N_("mean rank"),
    N_("welfare"),
    N_("Runs compared"),
    N_("Net change of placed by park"),
    N_("Net change of placed by college or institute"),
    N_("Net change of placed by kind"),
    N_("Net change of placed by tier"),
    N_("Consortium: %(orgs)s organizations, %(links)s links"),
)


def sayer(org_names: dict[str, str]) -> Callable[[str], str]:
    """What a chart's label reads as: an organization's name, a vocabulary
    value's word, or the chart's English in the reader's language."""

    def say(text: str) -> str:
        if text in org_names:
            return org_names[text]
        if text in TERMS:
            return _(TERMS[text])
        return _(text)

    return say


def term(value: object) -> str:
    """A vocabulary value in the reader's language (as written if unknown)."""
    if value is None:
        return ""
    text = str(value)
    return _(TERMS[text]) if text in TERMS else text


def status(value: object) -> str:
    text = str(value or "")
    return _(STATUSES[text]) if text in STATUSES else text


def condition(rule: str) -> str:
    """An eligibility rule the engine names (`min_level undergraduate`) as a sentence."""
    kind, _sep, arg = rule.partition(" ")
    if kind == "min_level":
        return _("the placement needs at least the level %(level)s", level=term(arg))
    if kind == "skills":
        return _("the placement needs the skills %(skills)s", skills="、".join(arg.split(",")))
    if kind == "max_distance":
        return _(
            "your college is more than %(hops)s links away from the host in the consortium",
            hops=arg,
        )
    return rule


def reason(
    e: dict[str, Any], titles: dict[str, str] | None = None, names: dict[str, str] | None = None
) -> str:
    """One explanation as a sentence: why the candidate did not get
    `e["placement"]` (its title from `titles`, a mentor's name from `names`)."""
    place = e["placement"]
    named = (titles or {}).get(place)
    where = f"{named}（{place}）" if named else place
    mentor = str(e.get("mentor", ""))
    mentor = (names or {}).get(mentor, mentor)
    why = e["reason"]
    if why == "not_acceptable":
        text = _("the placement did not put you in its ranking")
    elif why == "ineligible":
        text = _("you do not meet its condition: %(rule)s", rule=condition(str(e.get("rule", ""))))
    elif why == "full" and "admitted" in e:
        text = _(
            "the placement is full; the last of its %(n)s admitted candidates ranks above you",
            n=number(e["admitted"]),
        )
    elif why == "full":
        text = _(
            "the placement is full; its last admitted candidate (%(cutoff)s) ranks above you",
            cutoff=e.get("cutoff", ""),
        )
    elif why == "mentor_full" and "admitted" in e:
        text = _(
            "its mentor %(mentor)s is full; the last of the mentor's %(n)s admitted candidates "
            "ranks above you",
            mentor=mentor,
            n=number(e["admitted"]),
        )
    elif why == "mentor_full":
        text = _(
            "its mentor %(mentor)s is full; the mentor's last admitted candidate (%(cutoff)s) "
            "ranks above you",
            mentor=mentor,
            cutoff=e.get("cutoff", ""),
        )
    elif why == "policy":
        text = _(
            "placing you there would break the policy quota %(policy)s", policy=e.get("policy", "")
        )
    elif why == "forbidden":
        text = _("the consortium office forbade this pair (manual override)")
    elif why == "pinned" and "admitted" in e:
        text = _("its seat went to a candidate the consortium office placed by a manual override")
    elif why == "pinned" and e.get("cutoff"):
        text = _(
            "its seat went to %(cutoff)s, placed there by a manual override of the consortium "
            "office",
            cutoff=e["cutoff"],
        )
    elif why == "pinned":
        text = _("the consortium office placed you by a manual override")
    elif why == "welfare":
        text = _(
            "the welfare-optimal assignment keeps you where you are (moving you there "
            "changes the welfare by %(gain)s)",
            gain=number(e.get("gain"), 4),
        )
    else:
        text = why
    return _("%(placement)s: %(why)s", placement=where, why=text)
