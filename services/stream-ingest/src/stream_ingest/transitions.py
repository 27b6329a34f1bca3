"""The transition law: last known status per company, newer observations only, real changes only.

``observe`` applies one observation of a company's status to its stored state and says what
happened. Four rules: a version of the profile already seen (same etag) changes nothing; an
observation older than the stored one changes nothing (stream and bulk
merge by time); ``StrikeOffEntered``/``StrikeOffLeft`` follow only from a change of the strike-off
flag; a profile that does not say whether the detail is set (a stream event without
``company_status_detail`` and without ``fields_changed`` naming it) keeps the flag as it was.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from leadpipe_contracts.companies import LeftReason, Source, StrikeOffKind
from stream_ingest.statuses import STRIKE_OFF_DETAIL

# Stream ``published_at`` values are sometimes cut to whole seconds, so two events of the same
# second can carry times in the wrong order; within this tolerance processing order decides.
TOLERANCE = dt.timedelta(seconds=1)


# msgspec structs rather than dataclasses: a catch-up builds several per stream event, and
# frozen dataclasses are several times slower to create and copy. They hold only scalars, so the
# cycle collector need not track them (gc=False).
class CompanyState(msgspec.Struct, frozen=True, gc=False):
    """What stream-ingest last knew of a company (one row of ``companies``, in column order)."""

    company_number: str
    company_name: str
    status: str
    status_detail: str | None
    raw_status: str | None
    strike_off: bool
    strike_off_kind: str | None
    observed_at: dt.datetime
    source: str
    source_ref: str
    etag: str | None = None
    profile_hash: str | None = None
    ended_at: dt.datetime | None = None


class Observation(msgspec.Struct, frozen=True, gc=False):
    """A company's status as one source saw it at ``observed_at``.

    Attributes:
        detail_known: Whether a missing ``status_detail`` means "no detail" (bulk rows, REST
            profiles, stream events naming the detail in ``fields_changed``) rather than
            "not said" (stream events that may omit it).
        kind: Who started a strike-off, when the source says (filing signals).
    """

    company_number: str
    company_name: str
    status: str
    status_detail: str | None
    raw_status: str | None
    observed_at: dt.datetime
    source: Source
    source_ref: str
    detail_known: bool
    etag: str | None = None
    profile_hash: str | None = None
    kind: StrikeOffKind = StrikeOffKind.UNKNOWN


class Outcome(msgspec.Struct, frozen=True, gc=False):
    """What an observation did.

    Attributes:
        state: The new stored state (None when the observation was stale).
        entered / left: The transition, if any.
        changed: Whether the profile differs from the stored one (worth a CompanyObserved).
    """

    state: CompanyState | None
    entered: bool = False
    left: LeftReason | None = None
    changed: bool = False

    @property
    def stale(self) -> bool:
        """The observation was older than the stored state and was ignored."""
        return self.state is None


def strike_off_flag(observation: Observation, was: bool) -> bool:
    """Whether the observation says the company is in proposal to strike off."""
    if observation.status != "active":
        return False
    if observation.status_detail == STRIKE_OFF_DETAIL:
        return True
    if observation.status_detail is not None or observation.detail_known:
        return False
    return was


def left_reason(status: str) -> LeftReason:
    """Why a company left strike-off, from its new status."""
    return LeftReason.DISSOLVED if status in ("dissolved", "removed") else LeftReason.STATUS_CHANGED


def is_stale(current: CompanyState | None, observed_at: dt.datetime, *, in_order: bool) -> bool:
    """Whether an observation is older than the stored state.

    Args:
        in_order: The observation is known to follow the stored one (a later timepoint of the
            same stream): stream order beats the dates inside events.
    """
    if current is None or in_order:
        return False
    return observed_at + TOLERANCE < current.observed_at


def observe(
    current: CompanyState | None,
    observation: Observation,
    kind_hint: str | None = None,
    *,
    in_order: bool = False,
) -> Outcome:
    """Apply ``observation`` to ``current``.

    Args:
        current: The stored state, or None for a company never seen.
        observation: The new observation.
        kind_hint: A strike-off kind a filing announced earlier (DS01, Gazette notice).
        in_order: See ``is_stale``.
    """
    if is_stale(current, observation.observed_at, in_order=in_order):
        return Outcome(state=None)
    if (
        current is not None
        and observation.source is not Source.REST
        and observation.etag is not None
        and observation.etag == current.etag
    ):
        # The same version of the resource again (re-emissions and duplicates are common): it
        # tells nothing new, and must not undo what a filing changed since that version. A
        # fetched profile is the exception: it carries the detail a stream event may omit.
        return Outcome(
            state=msgspec.structs.replace(
                current,
                observed_at=max(observation.observed_at, current.observed_at),
                source_ref=observation.source_ref,
            )
        )
    was = current.strike_off if current is not None else False
    now = strike_off_flag(observation, was)
    if (
        now
        and not was
        and current is not None
        and current.ended_at is not None
        and observation.observed_at < current.ended_at + TOLERANCE
    ):
        # A profile from before (or the very second of) the filing that ended the strike-off,
        # read late because the streams are independent: it cannot start it again.
        now = False
    kind: str | None = None
    if now:
        if observation.kind is not StrikeOffKind.UNKNOWN:
            kind = observation.kind.value
        elif was and current is not None and current.strike_off_kind:
            kind = current.strike_off_kind
        elif kind_hint:
            kind = kind_hint
        else:
            kind = StrikeOffKind.UNKNOWN.value
    detail = observation.status_detail
    if detail is None and not observation.detail_known and now:
        detail = STRIKE_OFF_DETAIL
    state = CompanyState(
        company_number=observation.company_number,
        company_name=observation.company_name or (current.company_name if current else ""),
        status=observation.status,
        status_detail=detail,
        raw_status=observation.raw_status,
        strike_off=now,
        strike_off_kind=kind,
        # Stored times never go backwards, so the database's newer-or-equal guard holds.
        observed_at=max(observation.observed_at, current.observed_at)
        if current is not None
        else observation.observed_at,
        source=str(observation.source),  # its value; ``.value`` is a slow property
        source_ref=observation.source_ref,
        etag=observation.etag if observation.etag is not None else None,
        profile_hash=observation.profile_hash,
        ended_at=current.ended_at if current is not None else None,
    )
    if current is None:
        changed = True
    elif observation.etag is not None and current.etag is not None:
        changed = observation.etag != current.etag
    elif observation.profile_hash is not None and current.profile_hash is not None:
        changed = observation.profile_hash != current.profile_hash
    else:
        changed = True
    return Outcome(
        state=state,
        entered=now and not was,
        left=left_reason(observation.status) if was and not now else None,
        changed=changed or now != was,
    )


def end_strike_off(
    current: CompanyState,
    reason: LeftReason,
    observed_at: dt.datetime,
    source_ref: str,
    *,
    in_order: bool = False,
) -> Outcome:
    """A filing (or a deletion) ended the strike-off of ``current``.

    Stale (older than the stored state) or not in strike-off: nothing happens.
    """
    if not current.strike_off or is_stale(current, observed_at, in_order=in_order):
        return Outcome(state=None)
    # Only the flag changes: the profile's observation time and position stay those of the
    # profile, so profile events published before the filing but read later still apply (and
    # a re-emission of the old version is recognised by its etag).
    state = msgspec.structs.replace(
        current,
        strike_off=False,
        strike_off_kind=None,
        status="dissolved" if reason is LeftReason.DISSOLVED else current.status,
        status_detail=None,
        source=Source.STREAM.value,
        ended_at=observed_at,
    )
    return Outcome(state=state, left=reason)
