"""The e-mails that tell people what sign-off did: subscribers of its domain events (issue 24).

A decision, a signature and a sealed PDF are recorded as events (`workflows.events`:
`DocumentDecided`, `DocumentSigned`, `DocumentSealed`); the composition root has these notices
hear of them (`tell_in`, from `docgen.bootstrap.subscribe`):
- a disagreement: the supervisor is told, with the comment and the page where they revise or
  countersign (`DocumentDecided`, "disagreed");
- a countersignature over a disagreement: the supervisee is told at once (`DocumentSigned`);
- a sealed record: the supervisee's copy where the profile gives one, and the line managers the
  profile says must know of it (`DocumentSealed`);
- the outcome of a disagreement's route (a three-way meeting, or passed to HR): supervisee,
  supervisor, and HR when it is theirs (`DisagreementOutcomeRecorded`).

Heard just before the commit (`storage.uow`), a notice is written to the outbox in the transaction
of the change it reports, and delivered only once that commits: a decision that rolls back tells
nobody. An event carries ids, so a notice reads what it says (a comment, a name) from the rows the
change wrote.

Not here: an e-mail carrying a single-use link or a one-time code (`signoff.links.issue_link`,
`send_code`) is written by the command that makes the secret, the only holder of it before its
hash is stored; the line manager's e-mail of the disagreement route
(`disagreement_notices.tell_line_manager`) is written with the escalation row it reports, told
once however many sweeps, requests or countersignatures reach it; and the e-mail of a record
overdue for sign-off (`deadlines.escalate`) is written with the "escalated" sign-off event that
makes it once per version, however often the sweep runs. Calendar invitations stay with the
sessions they plan (`planning`, `groups`): each carries the SEQUENCE its command bumps, so it is
the change as a calendar applies it, written as that row is.
"""
from __future__ import annotations

from storage.models import DisagreementEscalation, Person, Record
from workflows import access, disagreement_notices, emails, events, group_records
from workflows.deployment import Deployment, Work
from workflows.signoff import CHANGES_REQUESTED, get_document, kind_of, title, turn
from workflows.signoff.wording import page_path


def tell_in(deployment: Deployment) -> None:
    """Have `deployment`'s units of work write these notices. Wired once by the composition root."""
    deployment.subscribe(events.DocumentDecided, tell_supervisor_of_disagreement)
    deployment.subscribe(events.DocumentSigned, tell_supervisee_of_countersignature)
    deployment.subscribe(events.DocumentSealed, copy_to_supervisee)
    deployment.subscribe(events.DocumentSealed, tell_line_managers)
    deployment.subscribe(events.DisagreementOutcomeRecorded, tell_of_outcome)


def tell_supervisor_of_disagreement(uow: Work, event: events.DocumentDecided) -> None:
    """The supervisor hears of the supervisee's disagreement with the comment, and the link to the
    page where they revise or countersign (issue 27: the e-mail once led nowhere)."""
    if event.decision != "disagreed":
        return
    db = uow.session
    document = get_document(db, event.kind, event.document_id)
    disagreed = disagreement_notices.latest_step(db, document, event.version, ("disagreed",))
    step = turn(CHANGES_REQUESTED, document.supervisee.name, document.supervisor.name, "supervisor")
    emails.queue(db, "signoff_disagreed", to=document.supervisor.email, subject=f"{step.text}: {title(document)}",
                 step=step.text, supervisee=document.supervisee.name, what=title(document),
                 comment=disagreed.comment if disagreed else "",
                 finalise_over_disagreement=uow.deployment.profile.signoff.finalise_over_disagreement,
                 url=f"{uow.deployment.base_url}{page_path(document)}")


def tell_supervisee_of_countersignature(uow: Work, event: events.DocumentSigned) -> None:
    """The supervisee hears at once that their supervisor countersigned over their disagreement
    (issue 27): with both views, whether the line manager was told, and where their copy will be
    (My records). A version is signed over a disagreement when the supervisee's last decision on
    it was "disagreed": an agreement moves it on to the supervisor, so only a countersignature
    signs a version after a disagreement with it."""
    db = uow.session
    document = get_document(db, event.kind, event.document_id)
    decided = disagreement_notices.latest_step(db, document, event.version, ("agreed", "disagreed"))
    supervisee, supervisor = document.supervisee, document.supervisor
    if decided is None or decided.event != "disagreed" or not supervisee.email:
        return
    countersigned = disagreement_notices.latest_step(db, document, event.version, ("countersigned",))
    escalation = disagreement_notices.escalation_of(db, decided)  # told now or before, or nobody to tell
    emails.queue(db, "signoff_countersigned_over", to=supervisee.email,
                 subject=f"{supervisor.name} countersigned over your disagreement: {title(document)}",
                 supervisee=supervisee.name, supervisor=supervisor.name, what=title(document),
                 version=event.version, yours=decided.comment, theirs=countersigned.comment if countersigned else "",
                 manager_told=escalation is not None and escalation.line_manager_id is not None,
                 url=f"{uow.deployment.base_url}/my-records")


def copy_to_supervisee(uow: Work, event: events.DocumentSealed) -> None:
    """Tell the supervisee their copy of a sealed record is in My records, where the profile says
    they receive one (`signoff.copy_to_supervisee`; H: "Supervisees will receive a copy of their
    personal supervision record"). The e-mail carries a link, never the record itself."""
    if event.kind != "record" or not uow.deployment.profile.signoff.copy_to_supervisee:
        return
    document = get_document(uow.session, event.kind, event.document_id)
    supervisee = document.supervisee
    if not isinstance(document, Record) or not supervisee.email:
        return
    emails.queue(uow.session, "record_copy", to=supervisee.email,
                 subject=f"Your copy of your supervision record of {document.session_date:%-d %B %Y}",
                 supervisee=supervisee.name, what=title(document),
                 supervisor=document.supervisor.name if document.supervisor else "your supervisor",
                 url=f"{uow.deployment.base_url}/my-records")


def tell_line_managers(uow: Work, event: events.DocumentSealed) -> None:
    """Tell the line managers the profile says must know of a sealed record, each once, with a
    link (never the record itself): each attendee's of a group record (`groups.tell_line_managers`;
    S §5: the line manager "notified of any advice given by the case holding practitioner"), and the
    supervisee's of a record of a kind that says so, when someone else supervised it
    (`record_kinds.<kind>.tell_line_manager`; W App E: "if the supervisor is not the operational
    line manager, bring the record or contents to their attention")."""
    if event.kind != "record":
        return
    db = uow.session
    document = get_document(db, event.kind, event.document_id)
    told = _whose_line_managers(uow, document) if isinstance(document, Record) else None
    if told is None:
        return
    what, page, told_about = told
    managers: dict[int, list[str]] = {}
    for person in told_about:
        if person.line_manager_id is not None and person.line_manager_id != person.id:
            managers.setdefault(person.line_manager_id, []).append(person.name)
    url = f"{uow.deployment.base_url}/{page}/{document.id}"
    for manager_id, names in managers.items():
        manager = db.get(Person, manager_id)
        if manager is None or not manager.email or manager.id == document.supervisor_id:
            continue
        emails.queue(db, "record_to_line_manager", to=manager.email,
                     subject=f"A supervision record for you to know of: {', '.join(names)}",
                     manager=manager.name, names=", ".join(names), what=what, title=title(document),
                     supervisor=document.supervisor.name if document.supervisor else "",
                     session=f"{document.session_date:%-d %B %Y}", url=url)


def tell_of_outcome(uow: Work, event: events.DisagreementOutcomeRecorded) -> None:
    """Supervisee and supervisor hear how their disagreement ended, with a link to the document;
    HR too when it was passed to them (W §17), with a link to the disagreement's page, since HR
    may not read the document itself."""
    db = uow.session
    escalation = db.get_one(DisagreementEscalation, event.escalation_id)
    document = disagreement_notices.document_of(db, escalation)
    recorder = db.get_one(Person, escalation.outcome_by_id)
    what, said = title(document), disagreement_notices.outcome_words(escalation)
    readers = [(person.email, f"/{kind_of(document)}s/{document.id}", False)
               for person in (db.get_one(Person, document.supervisee_id), db.get_one(Person, document.supervisor_id))]
    if event.outcome == "hr":
        hr = sorted({person.email for person in access.hr_staff(db)})
        readers += [(address, f"/disagreements/{escalation.id}", True) for address in hr]
    for address, path, for_hr in readers:
        emails.queue(db, "disagreement_outcome", to=address, subject=f"Outcome of a supervision disagreement: {what}",
                     recorder=recorder.name, what=what, said=said, for_hr=for_hr, url=emails.link(db, path))


def _whose_line_managers(uow: Work, record: Record) -> tuple[str, str, list[Person]] | None:
    """What the sealed record is called, the pages it is on, and whose line managers must know of
    it; None where the profile tells nobody."""
    profile = uow.deployment.profile
    if group_records.is_group_record(record):
        if not profile.groups.tell_line_managers:
            return None
        return "group supervision", "group-records", group_records.holders(uow.session, record)
    kind = profile.record_kinds.get(record.kind)
    if kind is None or not kind.tell_line_manager:
        return None
    supervised_by_another = record.supervisee.line_manager_id != record.supervisor_id
    return kind.title, "records", [record.supervisee] if supervised_by_another else []
