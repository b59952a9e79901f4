"""A person's and a team's supervision log over JSON (issue 25 item 3): one-to-one and group sessions, their
hours, cancellations and the frequency asked against what happened, month by month.

Who may read it is `workflows.supervision_log`'s (the people whose schedule the caller may see);
the route reads the log, has the read audited, and shapes the answer.
"""
from __future__ import annotations

from typing import Any

from docgen.api.routing import route
from docgen.auth import caller, login_required, uow
from workflows import supervision_log
from workflows.inputs.supervision_log import LogQuery
from workflows.supervision_log import SupervisionLogOut, TeamSupervisionLogOut


@route("GET", "/people/<int:person_id>/supervision-log", "A person's supervision month by month (from, to: "
       "months like 2026-04; by default the last twelve): one-to-one sessions held and their hours, group "
       "sessions attended, sessions cancelled and rebooked, and the frequency the profile asks against what "
       "happened", response=SupervisionLogOut, query=LogQuery)
@login_required
def person_log(person_id: int, query: LogQuery) -> Any:
    """Hours are those of the sessions whose length is known: a one-to-one's booked length where a
    session was planned for its day, otherwise the policy's stated length (`policy_session_length`,
    counted in `one_to_one_policy_length`); where the policy states none, the session is counted in
    `one_to_one_without_length` and given no hours."""
    log = supervision_log.person_log(uow(), caller(), person_id, query.first, query.last)
    supervision_log.record_read(uow(), caller(), log, "json")
    return supervision_log.log_json(log)


@route("GET", "/teams/<int:team_id>/supervision-log", "A team's supervision month by month (from, to: months "
       "like 2026-04; by default the last twelve): its people's one-to-ones, group sessions, cancellations and "
       "rebookings summed, how many met the profile's frequency, and each person's log; the people are those "
       "the caller may see, as on the team's page", response=TeamSupervisionLogOut, query=LogQuery)
@login_required
def team_log(team_id: int, query: LogQuery) -> Any:
    """The same scope as the team's page (`supervision_log.team_log`): 403 for someone who oversees
    nobody, 404 for a team that does not exist; the read is audited."""
    log = supervision_log.team_log(uow(), caller(), team_id, query.first, query.last)
    supervision_log.record_read(uow(), caller(), log, "json")
    return supervision_log.team_json(log)
