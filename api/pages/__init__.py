"""Pages for the people who run a round, served under /ui.

Every page is a client of the API itself: it calls the same routes in
process, with the signed-in organization's token, so a page can show and do
exactly what that organization may through the API, by the same code. The
token lives in an HttpOnly, SameSite=Strict cookie; every form that changes
something carries a CSRF token derived from it (HMAC), checked before the
API is called. Problems the API answers are shown on the page they came from.

    common   the client of the API, sign-in guard, CSRF, redirects with messages
    rounds   sign-in, home, a round's page, the coordinator's actions
    forms    placements, candidates, rankings, file imports
    exports  CSV, Excel, the printable report
    after    after publication: changes, overrides, re-match, versions, second round
    accounts people, tokens, a person's password, the audit trail
"""

from __future__ import annotations

from api.pages import accounts, after, exports, forms, rounds
from api.pages.common import COOKIE, VOCABULARIES, SignIn, csrf_token, router

__all__ = [
    "COOKIE",
    "VOCABULARIES",
    "SignIn",
    "accounts",
    "after",
    "csrf_token",
    "exports",
    "forms",
    "rounds",
    "router",
]
