"""Starting, listing, reading and deleting scans.

A scan is started by inserting its row (Postgres is the source of truth) and
then adding its id to the kind's stream. If the stream cannot be reached the
row is marked failed with the reason, so no scan waits forever for a job that
was never queued. Uploads are read from the client into a local spool before
any database call, so a slow client never holds a pooled connection or the
Postgres breaker.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

import falcon
import redis

from dgp import kinds
from dgp.apps.web.errors import ApiError, bad_request, forbidden, too_large, unavailable
from dgp.apps.web.openapi import LIMIT, OFFSET, Op
from dgp.apps.web.resources.common import (
    Api,
    Resource,
    Scopes,
    audit,
    caller,
    field,
    found,
    invalid,
    organisation,
    page,
    paged,
    parse_json,
    read_json,
)
from dgp.apps.web.services import REDIS_OUTAGES
from dgp.domain import inputs
from dgp.domain import scan as scan_record
from dgp.domain.job import ScanInputError
from dgp.domain.options import OptionsError
from dgp.kinds import Input, KindSpec
from dgp.net import TargetRefused, refuse_credentials
from dgp.plumbing.breakers import BreakerOpen
from dgp.plumbing.settings import Settings
from dgp.plumbing.store import UnknownReference, uploads

TAGS = ("scans",)
MULTIPART_OVERHEAD = 64 * 1024  # boundaries, part headers and the small fields
MAX_TARGET = 2048
# What only an administrator may allow: reading this host's disk, cloning from private hosts.
ADMIN_OPTIONS = ("allow_local_sources", "allow_private_hosts")


@dataclass
class Given:
    """What a request gives a scan: a target, an upload (by the form), a questionnaire,
    earlier scans' ids. `checked` says whether the kind takes each, as the kind's spec
    says (Input), and turns them into what is stored."""

    target: str = ""
    questionnaire: object = None
    scan_ids: object = None

    def checked(
        self, spec: KindSpec, *, upload: bool
    ) -> tuple[str, dict[str, Any] | None, tuple[str, ...]]:
        """The target text, questionnaire and scan ids to store; ScanInputError if the
        kind does not take what was given, or was given nothing it takes."""
        given = {
            Input.TARGET: bool(self.target.strip()) and not upload,
            Input.UPLOAD: upload,
            Input.QUESTIONNAIRE: self.questionnaire is not None,
            Input.SCANS: self.scan_ids is not None,
        }
        for what, present in given.items():
            if present and not spec.takes(what):
                raise ScanInputError(f"a {spec.name} scan takes no {_NAMES[what]}")
        if not any(given.values()):
            wanted = " or ".join(_NAMES[what] for what in Input if spec.takes(what))
            raise ScanInputError(f"a {spec.name} scan needs {wanted}")
        if len(self.target) > MAX_TARGET:
            raise ScanInputError(f"'target' must be at most {MAX_TARGET} characters")
        try:  # any kind, any scheme and case, user info or tokens in the query
            refuse_credentials(self.target)
        except TargetRefused as e:
            raise ScanInputError(e.reason) from None
        questionnaire = None
        if self.questionnaire is not None:
            questionnaire = inputs.check_questionnaire(self.questionnaire)
        scan_ids = inputs.check_scan_ids(self.scan_ids) if self.scan_ids is not None else ()
        target = self.target
        if given[Input.TARGET]:
            try:  # the kind's own check (a website's URL) refuses through dgp.net too
                spec.check_target(target)
            except TargetRefused as e:
                raise ScanInputError(e.reason) from None
        elif not upload:
            target = inputs.describe(spec.name, questionnaire, scan_ids)
        return target, questionnaire, scan_ids


_NAMES = {
    Input.TARGET: "'target'",
    Input.UPLOAD: "upload",
    Input.QUESTIONNAIRE: "'questionnaire'",
    Input.SCANS: "'scan_ids'",
}


class Scans(Resource):
    scopes: ClassVar[Scopes] = {"GET": "scans:read", "POST": "scans:write"}
    api: ClassVar[Api] = {
        "GET": Op(
            "The organisation's scans, newest first",
            returns="ScanPage",
            query=(LIMIT, OFFSET),
            tags=TAGS,
        ),
        "POST": Op(
            "Start a scan of a target, a questionnaire or earlier scans (JSON), or of an "
            "uploaded file or archive (multipart)",
            status=202,
            returns="Scan",
            body="ScanRequest",
            multipart="ScanUpload",
            example={"kind": "code", "target": "https://git.example.org/team/app.git"},
            errors=(404, 411, 413, 415),
            description="What a scan takes depends on its kind (`dgp kinds --json`: inputs): "
            "a target, an upload, a questionnaire or scan ids; anything else is refused. "
            "Local paths, file:// URLs and private hosts are refused unless an "
            "administrator allows them in the options.",
            tags=TAGS,
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        org = organisation(req)
        limit, offset = page(req)
        scans = self.services.db(self.services.store.list_scans, org, limit, offset)
        total = self.services.db(self.services.store.count_scans, org)
        resp.media = paged([s.to_dict() for s in scans], total, limit, offset)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        media_type = (req.content_type or "").split(";")[0].strip().lower()
        upload_id = credential = None
        given = Given()
        if media_type == falcon.MEDIA_MULTIPART:
            kind, given.target, options, upload_id = self._from_form(req)
        elif media_type in ("", falcon.MEDIA_JSON):
            body = read_json(req)
            for name in ("questionnaire", "scan_ids"):  # left out, not null
                if name in body and body[name] is None:
                    raise bad_request(f"{name!r} may not be null", "invalid_input")
            kind = field(body, "kind", str)
            options = field(body, "options", dict, {})
            given = Given(
                field(body, "target", str, ""), body.get("questionnaire"), body.get("scan_ids")
            )
            credential = _credential_field(body)
        else:
            raise ApiError(415, "unsupported_media_type", "send JSON or multipart/form-data")
        try:
            scan = self._start(req, kind, given, options, upload_id, credential)
        except BaseException:
            if upload_id is not None:  # the scan never started: do not keep its upload
                with suppress(Exception):  # best effort: the original error matters
                    self.services.db(self.services.store.delete_upload, upload_id)
            raise
        resp.status = falcon.HTTP_202
        resp.location = f"/api/v1/scans/{scan['id']}"
        resp.media = scan

    def _start(
        self,
        req: falcon.Request,
        kind: str,
        given: Given,
        options: dict[str, Any],
        upload_id: str | None,
        credential: str | None = None,
    ) -> dict[str, Any]:
        user = caller(req).user
        try:
            spec = kinds.get(kind)
        except kinds.UnknownKind as e:
            raise bad_request(str(e)) from None
        try:
            target, questionnaire, scan_ids = given.checked(spec, upload=upload_id is not None)
        except ScanInputError as e:
            raise bad_request(str(e), "invalid_input") from None
        options = restricted_options(
            options, spec, is_admin=user.role == "admin", settings=self.services.settings
        )
        store = self.services.store
        self._organisation_allows(user.organisation_id, spec, options)

        # another organisation's scan ids or credential are as unknown as missing ones:
        # a well-formed request naming what this organisation does not have is 404
        def start() -> scan_record.Scan:
            try:
                return self.services.db(  # audited as "scan.started" in the same transaction
                    store.start_scan,
                    user.organisation_id,
                    user.id,
                    kind,
                    target,
                    options,
                    upload_id,
                    questionnaire=questionnaire,
                    scan_ids=scan_ids,
                    credential_id=credential,
                )
            except UnknownReference as e:
                raise ApiError(404, "not_found", str(e)) from None

        scan = invalid(start)
        try:
            self.services.redis(self.services.queue.submit, kind, scan.id)
        except (*REDIS_OUTAGES, BreakerOpen):
            self.services.db(store.fail_scan, scan.id, "the job queue was unavailable")
            raise
        except redis.RedisError:  # answered, but refused (full, read-only): also final
            self.services.db(store.fail_scan, scan.id, "the job queue refused the job")
            raise unavailable("the job queue refused the job; try again later") from None
        return scan.to_dict()

    def _organisation_allows(self, org: str, spec: KindSpec, options: dict[str, Any]) -> None:
        """Options the organisation's admins must allow first (ORGANISATION_GATED of the
        kind's options type): refused with 403, saying which setting, when they have not."""
        gated = getattr(spec.options, "ORGANISATION_GATED", {})
        asked = [name for name in gated if options.get(name) is True]
        if not asked:
            return
        found = self.services.db(self.services.store.get_organisation, org)
        for name in asked:
            if found is None or not found.allows(gated[name]):
                raise forbidden(
                    f"option {name!r} is not allowed for this organisation: an admin of the "
                    f"organisation must first turn on the setting {gated[name]!r} "
                    "(PATCH /api/v1/organisation)"
                )

    def _from_form(self, req: falcon.Request) -> tuple[str, str, dict[str, Any], str]:
        """kind, target, options and the stored upload's id from a multipart body."""
        limit = self.services.settings.upload_max_bytes
        if req.content_length is None:  # falcon's form parser needs to know where it ends
            raise ApiError(411, "length_required", "send an upload with a Content-Length")
        if req.content_length > limit + MULTIPART_OVERHEAD:
            raise too_large(limit)
        fields: dict[str, str] = {}
        spooled: uploads.Spooled | None = None
        filename = ""
        try:
            for part in req.get_media():
                if part.filename is not None or part.name == "file":
                    if spooled is not None:
                        raise bad_request("send one file per scan", "invalid_input")
                    filename = part.filename or "upload"
                    spooled = uploads.spool(part.stream, limit)  # UploadTooLarge: 413
                elif part.name in ("kind", "target", "options"):
                    fields[part.name] = _form_text(part)
                else:
                    raise bad_request(f"unexpected form field {part.name!r}", "invalid_input")
            if spooled is None:
                raise bad_request("the form has no 'file' part", "invalid_input")
            options = _options_field(fields.get("options", ""))
            spooled.file.seek(0)
            upload_id = self.services.db(
                self.services.store.save_upload, organisation(req), filename, spooled.file, limit
            )
        finally:
            if spooled is not None:
                spooled.close()
        target = fields.get("target") or f"upload:{uploads.safe_filename(filename)}"
        return fields.get("kind") or "code", target, options, upload_id


class Scan(Resource):
    scopes: ClassVar[Scopes] = {"GET": "scans:read", "DELETE": "scans:write"}
    api: ClassVar[Api] = {
        "GET": Op("A scan: status, progress, counters, score", returns="Scan", tags=TAGS),
        "DELETE": Op(
            "Delete a scan with its findings, artefacts and upload", status=204, tags=TAGS
        ),
    }

    def on_get(self, req: falcon.Request, resp: falcon.Response, scan_id: str) -> None:
        scan = self.services.db(self.services.store.get_scan, organisation(req), scan_id)
        resp.media = found(scan, "scan").to_dict()

    def on_delete(self, req: falcon.Request, resp: falcon.Response, scan_id: str) -> None:
        deleted = self.services.db(self.services.store.delete_scan, organisation(req), scan_id)
        found(deleted or None, "scan")
        audit(self.services, req, "scan.deleted", "scan", scan_id)
        resp.status = falcon.HTTP_204


def restricted_options(
    options: dict[str, Any], spec: KindSpec, is_admin: bool, settings: Settings
) -> dict[str, Any]:
    """The options as stored: validated against the kind's options type; limits (and the
    options the type marks lower-only) may only be lowered; the switches that reach the
    scanner hosts' disk or private networks are on only when the operator allows them
    (settings), the caller is an admin and the request asks for them."""
    checked = dict(options)
    for name in ADMIN_OPTIONS:
        value = checked.get(name, False)
        if not isinstance(value, bool):
            raise bad_request(f"option {name!r} must be true or false", "invalid_input")
        checked[name] = value and is_admin and bool(getattr(settings, name))
    checked["limits"] = _lowered_limits(checked.get("limits", {}), asdict(spec.limits))
    defaults = {f.name: f.default for f in fields(spec.options)}
    for name in spec.options.LOWER_ONLY:
        if name in checked:
            checked[name] = _at_most(name, checked[name], defaults[name], least=0)
    try:
        spec.options.from_dict(checked)
    except (OptionsError, TypeError, AttributeError) as e:
        raise bad_request(f"invalid options: {e}", "invalid_input") from None
    return checked


def _at_most(name: str, value: object, maximum: float, least: float | None = None) -> float:
    """A lower-only setting: a number no larger than the server's; limits must be positive,
    a kind's own options (a crawl depth of 0, say) at least `least`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{name} must be a positive number", "invalid_input")
    if least is None and not value > 0:
        raise bad_request(f"{name} must be a positive number", "invalid_input")
    if least is not None and value < least:
        raise bad_request(f"{name} must be at least {least:g}", "invalid_input")
    if value > maximum:
        raise bad_request(f"{name} may be at most {maximum:g} on this server", "invalid_input")
    return value


def _lowered_limits(limits: object, maxima: dict[str, float]) -> dict[str, float]:
    """Scan limits from a request: known names, positive numbers, never above the kind's
    defaults (which bound disk, memory and time per scan)."""
    if not isinstance(limits, dict):
        raise bad_request("'limits' must be an object", "invalid_input")
    unknown = sorted(set(limits) - set(maxima))
    if unknown:
        raise bad_request(f"unknown limits: {', '.join(unknown)}", "invalid_input")
    return {name: _at_most(name, value, maxima[name]) for name, value in limits.items()}


def _credential_field(body: dict[str, Any]) -> str | None:
    """The id of a stored credential the scan may use (optional)."""
    value = body.get("credential")
    if "credential" in body and not isinstance(value, str):
        raise bad_request("'credential' must be a credential's id", "invalid_input")
    return value


def _form_text(part: Any) -> str:
    """A form field's text, whatever content type the client gave it (falcon's
    get_text() is None for application/json, the type OpenAPI gives an object field)."""
    try:
        return str(part.data.decode("utf-8"))
    except UnicodeDecodeError:
        raise bad_request(f"form field {part.name!r} is not UTF-8 text", "invalid_input") from None


def _options_field(text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    value = parse_json(text, "'options'")
    if not isinstance(value, dict):
        raise bad_request("'options' must be a JSON object", "invalid_input")
    return value
