"""CSV import of customers: column mapping, the row checks a dry run makes (import_checks.py
runs it in a worker), and the import itself in batches a worker commits (workers/imports.py).

Row numbers count the header as row 1, as a spreadsheet shows them. Every row is validated with
`workflows.customers.profiles.clean`; an email that appears in an earlier row of the file is
refused too.
A row whose first email is the primary email of a live customer updates that customer, so a
re-run of the same file does not create duplicates.

Modes: "all_or_nothing" validates every row first and writes them all in one transaction, or
nothing when any row is bad; "skip_bad_rows" writes the good rows in batches (each batch commits
with the job's progress, so a crashed run resumes where it stopped) and reports the bad ones.

Over 500 lines on purpose: mapping, the dry run and the batched import share one row
validator and one progress record, and the dry run must stay the import minus its writes.
"""

import csv
import functools
import io
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Customer, ImportJob, Organisation, User
from workflows.customers import custom_fields, organisations, profiles
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_, LazyText
from workflows.platform.publishing import publish_after_commit

RUN_TASK = "imports.run"
MODES = ("all_or_nothing", "skip_bad_rows")
BATCH_SIZE = 200
MAX_BYTES = 20 * 1024 * 1024
# A customer has a few dozen fields; thousands of columns are a mistake (or an attack on the
# mapping page, which lists every column). Rows beyond the cap belong in several files.
MAX_COLUMNS = 200
MAX_ROWS = 200_000
ORGANISATION_NAME_LIMIT = 200
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Target fields a column can feed; "custom:<key>" names a custom field. The labels stay English
# here (guess_mapping matches column names against them); the mapping page translates them.
FIELDS: dict[str, str] = {
    "name": N_("Name"),
    "emails": N_("Emails (first is primary)"),
    "phones": N_("Phones"),
    "organisation": N_("Organisation name"),
    "owner": N_("Owner (user email)"),
    "stage": N_("Lifecycle stage (key)"),
    "tags": N_("Tags"),
    "notes": N_("Notes"),
    "time_zone": N_("Time zone"),
    "language": N_("Language"),
    "address_line": N_("Address"),
    "district": N_("District"),
    "city": N_("City"),
    "region": N_("Region / province"),
    "postal_code": N_("Postal code"),
    "country": N_("Country (ISO code)"),
}
LIST_FIELDS = {"emails", "phones", "tags"}  # several columns may feed these
ALIASES = {
    "email": "emails",
    "e-mail": "emails",
    "phone": "phones",
    "telephone": "phones",
    "mobile": "phones",
    "company": "organisation",
    "organization": "organisation",
    "tag": "tags",
    "note": "notes",
    "timezone": "time_zone",
    "zip": "postal_code",
    "address": "address_line",
    "full name": "name",
    "street": "address_line",
    "state": "region",
    "province": "region",
    "county": "region",
    "postcode": "postal_code",
    # A Chinese address's columns as Chinese spreadsheets name them (省 市 区 街道 邮编).
    "省": "region",
    "省份": "region",
    "市": "city",
    "城市": "city",
    "区": "district",
    "区县": "district",
    "街道": "address_line",
    "地址": "address_line",
    "详细地址": "address_line",
    "邮编": "postal_code",
    "邮政编码": "postal_code",
    "国家": "country",
}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        stored = {"row": self.row, "field": self.field, "message": self.message}
        if isinstance(self.message, Message):
            # Kept so that a page shows the stored message in its reader's language.
            stored |= {"msgid": self.message.msgid, "values": self.message.values}
        return stored


# ---------------------------------------------------------------- parsing and mapping


def decode(raw: bytes) -> str:
    """The upload as text (UTF-8, with or without a byte-order mark), or ValidationFailed."""
    if len(raw) > MAX_BYTES:
        raise ValidationFailed.field(
            "file", Message(N_("Upload at most %(size)s MB."), size=MAX_BYTES // 1024 // 1024)
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed.field("file", Message(N_("Save the file as UTF-8 CSV."))) from exc


def _sniffed_rows(content: str) -> Iterator[list[str]]:
    """The non-empty rows of `content`, refusing a row beyond the column or row cap."""
    try:
        sample = content[:4096]
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t") if sample else csv.excel
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(content), dialect)
    count = 0
    try:
        for row in reader:
            if len(row) > MAX_COLUMNS:
                raise ValidationFailed.field(
                    "file",
                    Message(
                        N_(
                            "Row %(row)s has %(count)s columns; at most %(limit)s can be "
                            "imported. Remove the columns you do not need."
                        ),
                        row=reader.line_num,
                        count=len(row),
                        limit=MAX_COLUMNS,
                    ),
                )
            if any(cell.strip() for cell in row):
                count += 1
                if count > MAX_ROWS + 1:  # the header and MAX_ROWS data rows
                    raise ValidationFailed.field(
                        "file",
                        Message(
                            N_(
                                "The file has more than %(limit)s rows; "
                                "split it into several files."
                            ),
                            limit=f"{MAX_ROWS:,}",
                        ),
                    )
                yield row
    except csv.Error as exc:
        # Translators: the reason is Python's csv module's English text.
        raise ValidationFailed.field(
            "file", Message(N_("Not a readable CSV file: %(reason)s"), reason=str(exc))
        ) from exc


def _split(rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    if not rows:
        raise ValidationFailed.field("file", Message(N_("The file is empty.")))
    header = [h.strip() for h in rows[0]]
    width = len(header)
    return header, [row + [""] * (width - len(row)) for row in rows[1:]]


def parse(content: str) -> tuple[list[str], list[list[str]]]:
    """(header, data rows); rows shorter than the header are padded with empty cells."""
    return _split(list(_sniffed_rows(content)))


def preview(content: str, rows: int = 5) -> tuple[list[str], list[list[str]]]:
    """(header, the first `rows` data rows), reading no further: the mapping page and form
    need only these, and a full parse of a 20 MB upload takes seconds."""
    return _split(list(itertools.islice(_sniffed_rows(content), rows + 1)))


def field_choices(session: Session) -> dict[str, str]:
    choices = dict(FIELDS)
    for definition in custom_fields.definitions(session, "customer"):
        choices[f"custom:{definition.key}"] = f"Custom: {definition.label}"
    return choices


def guess_mapping(session: Session, header: list[str]) -> dict[str, str]:
    """A first mapping from column names ("E-mail" → emails, "Industry" → custom:industry)."""
    choices = field_choices(session)
    by_label = {label.lower(): key for key, label in choices.items()}
    mapping: dict[str, str] = {}
    for column in header:
        name = column.strip().lower()
        key = name.replace(" ", "_")
        guess = (
            (key if key in FIELDS else None)
            or ALIASES.get(name)
            or (f"custom:{key}" if f"custom:{key}" in choices else None)
            or by_label.get(name)
            or ""
        )
        if guess and guess not in LIST_FIELDS and guess in mapping.values():
            guess = ""
        mapping[column] = guess
    return mapping


def check_mapping(session: Session, header: list[str], mapping: dict[str, str]) -> None:
    """ValidationFailed unless every target is known, single fields are fed once, and a name
    column is mapped."""
    choices = field_choices(session)
    errors: dict[str, list[str]] = {}
    used: dict[str, str] = {}
    for column, target in mapping.items():
        if column not in header:
            errors.setdefault("mapping", []).append(
                Message(N_("There is no column %(column)s."), column=repr(column))
            )
        elif target and target not in choices:
            errors.setdefault(column, []).append(
                Message(N_("Unknown field %(field)s."), field=repr(target))
            )
        elif target and target not in LIST_FIELDS and target in used:
            errors.setdefault(column, []).append(
                Message(
                    N_("%(field)s is already fed by column %(column)s."),
                    field=LazyText(choices[target]),
                    column=repr(used[target]),
                )
            )
        elif target:
            used[target] = column
    if "name" not in used:
        errors.setdefault("mapping", []).append(Message(N_("Map a column to Name.")))
    if errors:
        raise ValidationFailed(errors)


def row_values(header: list[str], row: list[str], mapping: dict[str, str]) -> dict[str, Any]:
    """The mapped, non-empty cells of `row` as {field: value}; custom fields under "custom"."""
    values: dict[str, Any] = {}
    for column, cell in zip(header, row, strict=False):
        target = mapping.get(column) or ""
        cell = cell.strip()
        if not target or not cell:
            continue
        if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS:
            cell = cell[1:]  # our exports quote such cells against CSV injection: undo it
        if target.startswith("custom:"):
            values.setdefault("custom", {})[target.removeprefix("custom:")] = cell
        elif target in LIST_FIELDS and target in values:
            values[target] = f"{values[target]},{cell}"
        else:
            values[target] = cell
    return values


def _emails_of(value: str | None) -> list[str]:
    result = []
    for raw in re.split(r"[,;\n]", value or ""):
        if (email := _normalised_email(raw.strip())) is not None:
            result.append(email)
    return result


@functools.lru_cache(maxsize=4096)
def _normalised_email(raw: str) -> str | None:
    """`raw` normalised, or None when blank or invalid (clean() reports it). Cached: a row's
    emails are looked at several times (duplicates, prefetch, match), and validation is most
    of the cost of a dry run."""
    if not raw:
        return None
    try:
        return validate_email(raw, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


def duplicate_email_rows(
    header: list[str], rows: list[list[str]], mapping: dict[str, str]
) -> dict[int, str]:
    """{row number: message} for rows with an email an earlier row of the file has."""
    first_seen: dict[str, int] = {}
    duplicates: dict[int, str] = {}
    for number, row in enumerate(rows, start=2):
        for email in _emails_of(row_values(header, row, mapping).get("emails")):
            if email in first_seen and first_seen[email] != number:
                duplicates.setdefault(
                    number,
                    Message(
                        N_("%(email)s is also in row %(row)s."), email=email, row=first_seen[email]
                    ),
                )
            else:
                first_seen.setdefault(email, number)
    return duplicates


# ---------------------------------------------------------------- one row


class RowContext:
    """Look-ups shared by every row of one run (organisations, owners)."""

    def __init__(
        self,
        session: Session,
        clock: Clock,
        actor_id: int | None,
        default_region: str | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.actor_id = actor_id
        self.default_region = default_region  # for phone numbers written without "+"
        self.organisations: dict[str, int] = {}
        self.missing_organisations: set[str] = set()  # looked up, not found, not created
        self.known: dict[str, Customer | None] = {}  # primary email -> live customer
        self.definitions = custom_fields.definitions(session, "customer")

    def organisation_id(self, name: str, *, create: bool) -> int | None:
        key = name.strip().lower()
        if key in self.organisations:
            return self.organisations[key]
        if key in self.missing_organisations and not create:
            return None  # a dry run: the file names a new organisation in many rows
        found = self.session.scalar(
            select(Organisation.id)
            .where(func.lower(Organisation.name) == key, Organisation.deleted_at.is_(None))
            .order_by(Organisation.id)
            .limit(1)
        )
        if found is None and create:
            found = organisations.create_organisation(
                self.session, {"name": name.strip()}, actor_id=self.actor_id, clock=self.clock
            ).id
        if found is not None:
            self.organisations[key] = found
        else:
            self.missing_organisations.add(key)
        return found

    def prefetch(self, rows: list[dict[str, Any]]) -> None:
        """Load the live customers the rows' first emails name, in one query per batch."""
        wanted = [e[0] for e in (_emails_of(v.get("emails")) for v in rows) if e]
        self.known = dict.fromkeys(wanted)
        for chunk in range(0, len(wanted), 500):
            found = self.session.scalars(
                select(Customer).where(
                    Customer.primary_email.in_(wanted[chunk : chunk + 500]),
                    Customer.deleted_at.is_(None),
                )
            )
            self.known.update({c.primary_email: c for c in found})

    def existing(self, data: dict[str, Any]) -> Customer | None:
        emails = _emails_of(data.get("emails"))
        if not emails:
            return None
        if emails[0] in self.known:
            return self.known[emails[0]]
        return self.session.scalar(
            select(Customer).where(
                Customer.primary_email == emails[0], Customer.deleted_at.is_(None)
            )
        )


def _customer_data(
    ctx: RowContext, values: dict[str, Any], *, write: bool
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """`values` turned into `profiles.clean` input, plus errors of the import-only fields."""
    data = dict(values)
    errors: list[tuple[str, str]] = []
    if organisation := data.pop("organisation", None):
        if len(organisation) > ORGANISATION_NAME_LIMIT:
            errors.append(
                (
                    "organisation",
                    Message(N_("Use at most %(limit)s characters."), limit=ORGANISATION_NAME_LIMIT),
                )
            )
        else:
            org_id = ctx.organisation_id(organisation, create=write)
            if org_id is not None:
                data["organisation_id"] = org_id
    if owner := data.pop("owner", None):
        owner_id = ctx.session.scalar(
            select(User.id).where(func.lower(User.email) == owner.lower())
        )
        if owner_id is None:
            errors.append(("owner", Message(N_("No user with email %(email)s."), email=owner)))
        else:
            data["owner_id"] = owner_id
    return data, errors


def check_row(ctx: RowContext, number: int, values: dict[str, Any]) -> list[RowError]:
    """Every problem of one row, writing nothing."""
    data, problems = _customer_data(ctx, values, write=False)
    errors = [RowError(number, f, m) for f, m in problems]
    try:
        profiles.clean(
            ctx.session,
            data,
            current=ctx.existing(data),
            default_region=ctx.default_region,
            custom_definitions=ctx.definitions,
            primary_email_owners=ctx.known,
        )
    except ValidationFailed as exc:
        errors += [RowError(number, f, m) for f, ms in exc.errors.items() for m in ms]
    return errors


def write_row(ctx: RowContext, values: dict[str, Any]) -> Customer:
    """Create the row's customer, or update the live customer with its primary email."""
    data, problems = _customer_data(ctx, values, write=True)
    if problems:
        raise ValidationFailed({f: [m] for f, m in problems})
    existing = ctx.existing(data)
    if existing is None:
        return profiles.create_customer(
            ctx.session,
            data,
            actor_id=ctx.actor_id,
            clock=ctx.clock,
            default_region=ctx.default_region,
        )
    return profiles.update_customer(
        ctx.session,
        existing,
        data,
        expected_version=existing.version,
        actor_id=ctx.actor_id,
        clock=ctx.clock,
        default_region=ctx.default_region,
    )


# ---------------------------------------------------------------- results


def bad_rows(errors: list[RowError] | list[dict[str, Any]]) -> list[int]:
    rows = {e.row if isinstance(e, RowError) else e["row"] for e in errors}
    return sorted(rows)


# ---------------------------------------------------------------- jobs


def create_job(
    session: Session,
    *,
    filename: str,
    content: str,
    created_by_id: int | None,
    clock: Clock,
) -> ImportJob:
    """A draft job holding the upload, with a guessed mapping."""
    header, rows = parse(content)
    job = ImportJob(
        created_by_id=created_by_id,
        filename=(filename or "upload.csv")[:255],
        content=content,
        mapping=guess_mapping(session, header),
        mode="all_or_nothing",
        status="draft",
        total_rows=len(rows),
        processed_rows=0,
        imported_rows=0,
        errors=[],
        created_at=clock.now(),
    )
    session.add(job)
    session.flush()
    return job


def configure(session: Session, job: ImportJob, mapping: dict[str, str], mode: str) -> None:
    """Save the mapping and mode of a draft job (ValidationFailed if either is wrong)."""
    if job.status != "draft":
        raise ValidationFailed.field("job", Message(N_("This import has started already.")))
    if mode not in MODES:
        raise ValidationFailed.field(
            "mode", Message(N_("Choose one of: %(choices)s."), choices=", ".join(MODES))
        )
    header, _ = preview(job.content)
    check_mapping(session, header, mapping)
    job.mapping = dict(mapping)
    job.mode = mode
    session.flush()


def start(session: Session, job: ImportJob) -> None:
    """Queue a configured draft job; the worker picks it up after commit."""
    if job.status != "draft":
        raise ValidationFailed.field("job", Message(N_("This import has started already.")))
    job.status = "pending"
    session.flush()
    publish_after_commit(session, RUN_TASK, job.id)


@dataclass(frozen=True)
class ParsedFile:
    """An import's file parsed once, with the rows whose email an earlier row has: the worker
    parses before its first write transaction, so no batch holds the write lock while a 20 MB
    file is read again."""

    header: list[str]
    rows: list[list[str]]
    duplicates: dict[int, str]


def parsed_file(job: ImportJob) -> ParsedFile:
    """`job`'s file parsed (its mapping is fixed once the import has started)."""
    header, rows = parse(job.content)
    return ParsedFile(header, rows, duplicate_email_rows(header, rows, job.mapping))


def read_file(session: Session, job_id: int) -> ParsedFile | None:
    """Job `job_id`'s file parsed, or None if there is no such job; only reads."""
    job = session.get(ImportJob, job_id)
    return None if job is None or job.mapping is None else parsed_file(job)


def step(
    session: Session,
    job_id: int,
    *,
    clock: Clock,
    batch_size: int = BATCH_SIZE,
    parsed: ParsedFile | None = None,
    default_region: str | None = None,
) -> bool:
    """Do the next piece of job `job_id`; True while more remains. The caller commits after
    every call: each piece is one transaction (a batch of rows, or for all_or_nothing the
    validation of a batch, then the whole write). A repeated or resumed call is safe. Pass
    `parsed` (from `read_file`, outside a transaction that writes) so that the file is not
    parsed again inside each piece's write transaction."""
    # Claim the row with an UPDATE before reading it: the row lock (the write lock on SQLite)
    # makes a redelivered task wait for the first one's commit and then see its progress. On
    # SQLite the UPDATE also makes pysqlite open the transaction; a SAVEPOINT issued first would
    # run outside one, and releasing it would commit each row on its own.
    claimed = session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.status.in_(("pending", "running")))
        .values(status="running")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    job = session.get(ImportJob, job_id, populate_existing=True)
    if job is None:
        return False
    parsed = parsed or parsed_file(job)
    header, rows = parsed.header, parsed.rows
    job.total_rows = len(rows)
    ctx = RowContext(session, clock, job.created_by_id, default_region)
    if job.mode == "skip_bad_rows":
        _write_batch(ctx, job, parsed, batch_size)
    elif job.processed_rows < len(rows):
        _check_batch(ctx, job, parsed, batch_size)
    else:
        _write_all(ctx, job, header, rows)
    if job.processed_rows >= len(rows) and job.status == "running" and job.mode != "all_or_nothing":
        _finish(job, clock, "done")
    session.flush()
    return job.status == "running"


def _batch(
    ctx: RowContext, job: ImportJob, header: list[str], rows: list[list[str]], size: int
) -> list[tuple[int, dict[str, Any]]]:
    """(row number, values) of the next `size` rows, their existing customers prefetched."""
    start_at = job.processed_rows
    batch = [
        (index + 2, row_values(header, rows[index], job.mapping))
        for index in range(start_at, min(start_at + size, len(rows)))
    ]
    ctx.prefetch([values for _, values in batch])
    return batch


def _finish(job: ImportJob, clock: Clock, status: str) -> None:
    job.status = status
    job.finished_at = clock.now()


def _check_batch(ctx: RowContext, job: ImportJob, parsed: ParsedFile, size: int) -> None:
    duplicates, rows = parsed.duplicates, parsed.rows
    errors = list(job.errors or [])
    with ctx.session.no_autoflush:
        for number, values in _batch(ctx, job, parsed.header, rows, size):
            found = check_row(ctx, number, values)
            if number in duplicates:
                found.append(RowError(number, "emails", duplicates[number]))
            errors += [e.as_dict() for e in found]
            job.processed_rows += 1
    job.errors = errors
    if job.processed_rows >= len(rows) and errors:
        _finish(job, ctx.clock, "failed")  # all or nothing: one bad row stops everything


def _write_all(ctx: RowContext, job: ImportJob, header: list[str], rows: list[list[str]]) -> None:
    """Every row in one savepoint of the caller's transaction: all written, or none."""
    imported = 0
    values = [row_values(header, row, job.mapping) for row in rows]
    ctx.prefetch(values)
    try:
        with ctx.session.begin_nested():
            for number, row_data in enumerate(values, start=2):
                try:
                    write_row(ctx, row_data)
                except ValidationFailed as exc:
                    raise _RowFailed(number, exc) from exc
                imported += 1
    except _RowFailed as failure:
        job.errors = [e.as_dict() for e in failure.errors()]
        _finish(job, ctx.clock, "failed")
        return
    except IntegrityError as exc:  # a customer created elsewhere meanwhile took an email
        job.errors = [{"row": None, "field": "file", "message": f"Conflict: {exc.orig}"}]
        _finish(job, ctx.clock, "failed")
        return
    job.imported_rows = imported
    _finish(job, ctx.clock, "done")


class _RowFailed(Exception):
    def __init__(self, number: int, exc: ValidationFailed) -> None:
        super().__init__(str(exc))
        self.number = number
        self.exc = exc

    def errors(self) -> list[RowError]:
        return [RowError(self.number, f, m) for f, ms in self.exc.errors.items() for m in ms]


def _write_batch(ctx: RowContext, job: ImportJob, parsed: ParsedFile, size: int) -> None:
    """The next batch of a skip_bad_rows job: good rows written, bad ones reported."""
    duplicates = parsed.duplicates
    errors = list(job.errors or [])
    for number, values in _batch(ctx, job, parsed.header, parsed.rows, size):
        if number in duplicates:
            errors.append(RowError(number, "emails", duplicates[number]).as_dict())
        else:
            try:
                with ctx.session.begin_nested():
                    write_row(ctx, values)
                job.imported_rows += 1
            except ValidationFailed as exc:
                errors += [e.as_dict() for e in _RowFailed(number, exc).errors()]
                ctx.organisations.clear()  # the rolled-back savepoint may have held a new one
            except IntegrityError as exc:
                errors.append({"row": number, "field": "emails", "message": str(exc.orig)})
                ctx.organisations.clear()
        job.processed_rows += 1
    job.errors = errors


def progress(job: ImportJob) -> dict[str, Any]:
    """What the progress bar polls."""
    return {
        "id": job.id,
        "status": job.status,
        "mode": job.mode,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "imported_rows": job.imported_rows,
        "bad_rows": len(bad_rows(job.errors or [])),
        "errors": (job.errors or [])[:200],
    }
