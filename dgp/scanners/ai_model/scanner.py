"""AI model scanner (SPEC 3.3): model files checked statically, never loaded.

Each file is recognised by its content (formats.py) and read by its format's
reader; what they observe becomes findings through the session. Names of layers,
tensors and features that look like personal data, and personal data or secrets
in the file's strings, go through the shared engine. A model card and licence are
looked for next to each model. The inventory of models (format, framework,
parameter count) is the scan's artefact. A questionnaire, when given, is
classified under the EU AI Act (aiact.py).
"""

from __future__ import annotations

import json
import re
from contextlib import suppress
from pathlib import Path
from typing import Any

import dgp.scanners.ai_model.rules  # noqa: F401  (defines the rules used here)
from dgp.domain.finding import Location
from dgp.domain.job import Artefact, ScanInputs, ScanJob, ScanResult
from dgp.scanners import archives
from dgp.scanners.ai_model import aiact, documentation, formats
from dgp.scanners.ai_model.model import Context, ModelInfo
from dgp.scanners.ai_model.options import AiModelOptions
from dgp.scanners.files import TreeEntry
from dgp.scanners.session import ScanSession, StopScan
from dgp.scanners.session import warm_up as session_warm_up
from dgp.scanners.tree import Target, not_scanned, open_target, scan_files, scan_text_file

INVENTORY = "model-inventory.json"
TEXT_SUFFIXES = (".md", ".txt", ".json", ".yaml", ".yml", ".cfg", ".jinja", ".model_card")
# names of layers, features and keys that say they hold personal data
PERSONAL_NAMES = re.compile(
    r"""(?ix)(?:^|[^a-z])(
        bsn | burgerservicenummer | sofinummer | e[-_]?mail | email[-_]?address | phone
        | telefoon(?:nummer)? | mobile | geboortedatum | date[-_]?of[-_]?birth | dob
        | birth[-_]?date | postcode | zip[-_]?code | postal[-_]?code | address | adres
        | iban | passport | paspoort | first[-_]?name | last[-_]?name | surname
        | achternaam | voornaam | full[-_]?name | gender | geslacht | ethnicity | etniciteit
        | religion | religie | health | diagnos[ie]s? | salary | salaris | nationality
        | nationaliteit | ssn | social[-_]?security | ip[-_]?address | license[-_]?plate
        | kenteken
    )(?:$|[^a-z])"""
)


def warm_up() -> None:
    session_warm_up()


def scan(job: ScanJob, inputs: ScanInputs) -> ScanResult:
    session = ScanSession(job, inputs.hasher(), inputs.progress)
    inventory: list[dict[str, Any]] = []
    with suppress(StopScan):
        if job.questionnaire is not None:
            _questionnaire(session, job.questionnaire)
        if inputs.upload is not None or (job.target.strip() and job.target != "questionnaire"):
            with open_target(
                job, inputs, allow_git=False, time_left=session.remaining_seconds()
            ) as target:
                _scan_target(session, target, inventory, prefix="", depth=0)
    result = session.finish()
    if inventory:
        data = json.dumps({"models": inventory}, indent=1, sort_keys=True).encode()
        result.artefacts.append(Artefact(INVENTORY, "application/json", data))
    return result


def _questionnaire(session: ScanSession, answers: dict[str, Any]) -> None:
    for verdict in aiact.classify(answers):
        session.add(
            verdict.rule_id,
            Location(path=f"questionnaire/{verdict.answer or 'answers'}"),
            value=f"{verdict.rule_id}:{verdict.article}:{verdict.extra}",
            evidence=f"art. {verdict.article}",
            description=verdict.description,
            extra={
                "article": verdict.article,
                "answer": verdict.answer,
                "duties": [f"art. {d}" for d in verdict.duties],
                **verdict.extra,
            },
        )


def _options(session: ScanSession) -> AiModelOptions:
    options = session.options
    return options if isinstance(options, AiModelOptions) else AiModelOptions()


def _scan_target(
    session: ScanSession, target: Target, inventory: list[dict[str, Any]], prefix: str, depth: int
) -> None:
    folders: dict[Path, str] = {}

    def handle(session: ScanSession, entry: TreeEntry) -> None:
        shown = prefix + entry.relative
        if archives.is_archive(entry.path) and formats.claimed(entry.path) == frozenset():
            _scan_archive(session, entry, shown, inventory, depth)
            return
        ctx = Context(_options(session), session.limits, session.check_time)
        info = formats.analyse(entry.path, ctx)
        if info is None:
            if entry.path.suffix.lower() in TEXT_SUFFIXES or entry.path.name == "LICENSE":
                limit = _options(session).max_text_bytes
                if entry.size > limit:  # a tokenizer.json of a GiB is not read whole
                    not_scanned(session, shown, f"text file larger than {limit} bytes")
                else:
                    scan_text_file(session, entry.path, shown)
            else:
                session.skip("not a model or text file")
            return
        _report(session, info, shown)
        inventory.append({"path": shown, **info.describe()})
        folders.setdefault(entry.path.parent, shown.rsplit("/", 1)[0] if "/" in shown else "")

    scan_files(session, target, handle, prefix=prefix)
    for folder, shown in sorted(folders.items()):
        _documentation(session, folder, shown, inventory)


def _report(session: ScanSession, info: ModelInfo, shown: str) -> None:
    for o in info.observations:
        path = f"{shown}!/{o.where}" if o.where else shown
        session.add(
            o.rule_id,
            Location(path=path),
            value=o.value if o.value is not None else o.evidence,
            evidence=o.evidence,
            description=o.description,
            extra=o.extra,
        )
    flagged: set[str] = set()
    for where, name in info.names:
        match = PERSONAL_NAMES.search(name)
        if match and name not in flagged and len(flagged) < 1000:
            flagged.add(name)
            path = f"{shown}!/{where}" if where else shown
            session.add(
                "ai_model.names.personal_data",
                Location(path=path),
                value=name,
                evidence=name[:200],
                confidence=0.7,
                description=f"The name {name[:100]!r} says it holds {match.group(1).lower()}.",
            )
    for where, text in info.texts:
        session.scan_text(text, Location(path=f"{shown}!/{where}" if where else shown))


def _documentation(
    session: ScanSession, folder: Path, shown: str, inventory: list[dict[str, Any]]
) -> None:
    where = shown or "."
    card = documentation.model_card(folder)
    licensed = any(row.get("licence") for row in inventory if _in(row["path"], shown))
    if card is None:
        session.add("ai_model.documentation.no_model_card", Location(path=where), value=where,
                    evidence="no README.md or MODEL_CARD.md")  # fmt: skip
    if not licensed and not documentation.has_licence(folder, card):
        session.add("ai_model.documentation.no_licence", Location(path=where), value=where,
                    evidence="no LICENSE file or license field")  # fmt: skip


def _in(path: str, folder: str) -> bool:
    return path.rsplit("/", 1)[0] == folder if "/" in path else folder == ""


def _scan_archive(
    session: ScanSession, entry: TreeEntry, shown: str, inventory: list[dict[str, Any]], depth: int
) -> None:
    import tempfile

    if depth >= session.limits.max_archive_depth:
        not_scanned(session, shown, f"archive nested deeper than {depth} levels")
        return
    with tempfile.TemporaryDirectory(prefix="dgp-archive-") as tmp:
        try:
            unpacked = archives.unpack(entry.path, Path(tmp) / "x", session.limits)
        except archives.ArchiveError as e:
            not_scanned(session, shown, f"archive refused: {e.reason}")
            return
        inner = Target(unpacked.root, refused=unpacked.refused)
        _scan_target(session, inner, inventory, prefix=f"{shown}!/", depth=depth + 1)
