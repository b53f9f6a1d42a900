"""The one customer query: filters, full-text search, sort orders and keyset pagination, used by
every list, the API, exports and segments. Reads only; never flushes or commits."""

import base64
import binascii
import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import (
    ColumnElement,
    Double,
    Select,
    and_,
    cast,
    column,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    table,
    tuple_,
    union,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from models import (
    Customer,
    CustomerSearchDocument,
    CustomerSearchKey,
    CustomFieldDefinition,
    FieldKind,
    LifecycleStage,
    Tag,
    customer_tags,
)
from models.name_readings import CJK_RUN
from models.name_readings import fold as fold_for_sorting
from workflows.customers import custom_fields
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message, message_of
from workflows.platform.i18n import N_
from workflows.platform.text_folding import fold, fold_with_positions

Sort = Literal[
    "name",
    "-name",
    "created_at",
    "-created_at",
    "last_contacted_at",
    "-last_contacted_at",
    "relevance",
]
SORTS: tuple[str, ...] = get_args(Sort)
MAX_LIMIT = 200
MIN_TERM = 3  # the trigram index needs three characters
PHONE_RE = re.compile(r"^[\d\s\-.()+/]+$")


@dataclass
class CustomerFilter:
    """What to list. Ranges are half-open: `*_from` inclusive, `*_to` exclusive (aware
    datetimes). `custom` compares by equality; a multi-choice field matches when it contains
    the value. `trash=True` lists only soft-deleted customers; the default lists live ones."""

    q: str | None = None
    owner_id: int | None = None
    tag: str | None = None
    stage: str | None = None
    organisation_id: int | None = None
    custom: dict[str, Any] = field(default_factory=dict)
    created_from: datetime | None = None
    created_to: datetime | None = None
    last_contacted_from: datetime | None = None
    last_contacted_to: datetime | None = None
    trash: bool = False


@dataclass
class CustomerPage:
    items: list[Customer]
    next_cursor: str | None  # pass back as `cursor` for the next page; None on the last page
    highlights: dict[int, str]  # customer id -> HTML-safe snippet with <mark>…</mark>
    sort: str = "name"  # the sort actually used (relevance falls back to name without a query)


# ------------------------------------------------------------------ search terms


@dataclass(frozen=True)
class _Terms:
    long: list[str]  # searched in the trigram index (AND)
    short: list[str]  # too short for trigrams
    phrase: str  # the whole query, normalised (for the name-prefix fallback)

    @property
    def empty(self) -> bool:
        return not self.long and not self.short


def _terms(q: str | None) -> _Terms:
    text = " ".join((q or "").split())
    if not text:
        return _Terms([], [], "")
    digits = re.sub(r"\D", "", text)
    if PHONE_RE.match(text) and len(digits) >= MIN_TERM:
        # A phone number typed any way: documents hold the digit strings.
        return _Terms([digits], [], digits)
    # Folded like the documents (text_folding), so accents match either way.
    words = list(dict.fromkeys(fold(w).lower() for w in text.split()))
    return _Terms(
        [w for w in words if len(w) >= MIN_TERM],
        [w for w in words if len(w) < MIN_TERM],
        text.lower(),
    )


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _fts_query(terms: list[str]) -> str:
    """FTS5 syntax: each term a quoted string (quotes doubled), juxtaposed means AND."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


_fts = table("customer_search_fts", column("rowid"), column("document"))
_fts_self = literal_column("customer_search_fts")


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _name_prefix(phrase: str) -> ColumnElement[bool]:
    """Names starting with `phrase`, any case or accent: a range of the stored sort key
    (models/name_readings.sort_key), which begins with the name folded and lower-cased, or
    with the pinyin of its Chinese characters (`wang f` finds 王芳)."""
    prefix = " ".join(fold_for_sorting(phrase).split())
    if not prefix:
        return false()
    if ord(prefix[-1]) >= 0x10FFFF:  # no character after it: the range is open-ended
        return Customer.name_sort.startswith(prefix, autoescape=True)
    return and_(
        Customer.name_sort >= prefix,
        Customer.name_sort < prefix[:-1] + chr(ord(prefix[-1]) + 1),
    )


def _key_match(word: str) -> Select[tuple[int]] | None:
    """How a word too short for the trigram index matches a short-query key
    (models.CustomerSearchKey): one or two Chinese characters exactly (张, 王芳), two Latin
    letters as the start of a pinyin or its initials (wf, xu); None for anything else. A
    SELECT of the matching customers' ids."""
    keys = aliased(CustomerSearchKey)
    if CJK_RUN.fullmatch(word):
        condition = keys.key == word
    elif word.isascii() and word.isalpha() and len(word) >= 2:
        condition = and_(keys.key >= word, keys.key < word[:-1] + chr(ord(word[-1]) + 1))
    else:
        return None
    return select(keys.customer_id).where(condition)


def _short_search(terms: _Terms) -> ColumnElement[bool]:
    """Words all too short for the trigram index: the names starting with the query, or the
    customers matching every word by its short-query keys. One set of ids (a UNION), not an
    OR: PostgreSQL cannot combine an OR with a sub-select in a bitmap, and walked the whole
    name index checking each row instead (80-100 ms at 100,000 customers)."""
    by_name = _name_prefix(terms.phrase)
    matches = [_key_match(w) for w in terms.short]
    if not matches or any(m is None for m in matches):
        return by_name
    first, *others = [m for m in matches if m is not None]
    by_keys = first
    for other in others:  # every word: the first word's customers that the others match too
        by_keys = by_keys.where(first.selected_columns[0].in_(other))
    return Customer.id.in_(union(select(Customer.id).where(by_name), by_keys))


@dataclass
class _Search:
    where: list[ColumnElement[bool]]
    rank: ColumnElement[Any] | None  # ascending = better
    join: Any = None  # (subquery, onclause) for relevance


def _search(session: Session, terms: _Terms, trash: bool) -> _Search:
    if terms.empty:
        return _Search([], None)
    if trash or not terms.long:
        if trash:
            # Trashed customers have no search document: match name and email directly.
            conds = []
            for t in [*terms.long, *terms.short]:
                pattern = "%" + _like_escape(t) + "%"
                conds.append(
                    or_(
                        func.lower(Customer.name).like(pattern, escape="\\"),
                        func.lower(Customer.primary_email).like(pattern, escape="\\"),
                    )
                )
            return _Search(conds, None)
        return _Search([_short_search(terms)], None)
    doc = CustomerSearchDocument.document
    short_conds = [
        exists().where(
            CustomerSearchDocument.customer_id == Customer.id,
            func.lower(doc).like("%" + _like_escape(t) + "%", escape="\\"),
        )
        for t in terms.short
    ]
    if _dialect(session) == "sqlite":
        sub = (
            select(_fts.c.rowid.label("customer_id"), func.bm25(_fts_self).label("rank"))
            .select_from(_fts)
            .where(_fts_self.op("MATCH")(_fts_query(terms.long)))
            .subquery("search")
        )
        return _Search(short_conds, sub.c.rank, (sub, sub.c.customer_id == Customer.id))
    conds = [doc.ilike("%" + _like_escape(t) + "%", escape="\\") for t in terms.long]
    # Rank by where the first term occurs: the document starts with the name, then emails,
    # phones, organisation, tags, notes and the newest communications. Cheap, unlike
    # word_similarity() over whole documents (~0.8 ms each: most of a second for 1,000 hits).
    # float8 keeps cursor values exact.
    sub = (
        select(
            CustomerSearchDocument.customer_id.label("customer_id"),
            cast(func.strpos(func.lower(doc), terms.long[0]), Double).label("rank"),
        )
        .where(*conds)
        .subquery("search")
    )
    return _Search(short_conds, sub.c.rank, (sub, sub.c.customer_id == Customer.id))


# ------------------------------------------------------------------ filters


def _custom_condition(session: Session, key: str, value: Any) -> ColumnElement[bool]:
    definition = session.scalar(
        select(CustomFieldDefinition).where(
            CustomFieldDefinition.entity == "customer", CustomFieldDefinition.key == key
        )
    )
    if definition is None:
        raise ValidationFailed.field(f"custom.{key}", Message(N_("There is no such custom field.")))
    kind = definition.kind
    if kind is FieldKind.MULTI_CHOICE:
        choice = value[0] if isinstance(value, list) and len(value) == 1 else value
        try:
            (choice,) = custom_fields.clean_value(definition, [choice])
        except (ValueError, TypeError) as exc:
            raise ValidationFailed.field(f"custom.{key}", message_of(exc)) from exc
        if _dialect(session) == "postgresql":
            return Customer.custom[key].cast(JSONB).contains([choice])
        each = func.json_each(Customer.custom, f'$."{key}"').table_valued("value")
        return exists().select_from(each).where(each.c.value == choice)
    try:
        cleaned = custom_fields.clean_value(definition, value)
    except ValueError as exc:
        raise ValidationFailed.field(f"custom.{key}", message_of(exc)) from exc
    if kind is FieldKind.NUMBER:
        return Customer.custom[key].as_float() == float(cleaned)
    return Customer.custom[key].as_string() == str(cleaned)


def _filter_conditions(session: Session, flt: CustomerFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        Customer.deleted_at.is_not(None) if flt.trash else Customer.deleted_at.is_(None)
    ]
    if flt.owner_id is not None:
        conds.append(Customer.owner_id == flt.owner_id)
    if flt.organisation_id is not None:
        conds.append(Customer.organisation_id == flt.organisation_id)
    errors: dict[str, list[str]] = {}
    if flt.stage:
        stage_id = session.scalar(select(LifecycleStage.id).where(LifecycleStage.key == flt.stage))
        if stage_id is None:
            keys = ", ".join(
                session.scalars(
                    select(LifecycleStage.key).order_by(LifecycleStage.position, LifecycleStage.id)
                )
            )
            errors["stage"] = [Message(N_("Choose one of: %(choices)s."), choices=keys)]
        conds.append(Customer.stage_id == stage_id)
    if flt.tag:
        tag_id = session.scalar(select(Tag.id).where(Tag.name == flt.tag.strip().lower()))
        if tag_id is None:
            conds.append(false())
        else:
            # IN, not a correlated EXISTS: lets SQLite start from the tag's rows when it is rare.
            conds.append(
                Customer.id.in_(
                    select(customer_tags.c.customer_id).where(customer_tags.c.tag_id == tag_id)
                )
            )
    for key, value in (flt.custom or {}).items():
        try:
            conds.append(_custom_condition(session, key, value))
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    for col, low, high in (
        (Customer.created_at, flt.created_from, flt.created_to),
        (Customer.last_contacted_at, flt.last_contacted_from, flt.last_contacted_to),
    ):
        if low is not None:
            conds.append(col >= low)
        if high is not None:
            conds.append(col < high)
    return conds


def matching_ids(session: Session, flt: CustomerFilter) -> Select[tuple[int]]:
    """A SELECT of the ids of every customer matching `flt` (unordered); for segments, exports
    and bulk actions. Raises ValidationFailed naming a bad filter field."""
    search = _search(session, _terms(flt.q), flt.trash)
    query = select(Customer.id).where(*_filter_conditions(session, flt), *search.where)
    if search.join is not None:
        sub, onclause = search.join
        query = query.join(sub, onclause)
    return query


# ------------------------------------------------------------------ sorting and cursors


def _sort_key(sort: str, rank: ColumnElement[Any] | None) -> tuple[Any, bool, bool]:
    """(column, descending, nullable)."""
    if sort == "relevance":
        return rank, False, False
    name = sort.lstrip("-")
    if name == "name":  # pinyin order for Chinese names among Latin ones (models/name_readings)
        return Customer.name_sort, sort.startswith("-"), False
    return getattr(Customer, name), sort.startswith("-"), name == "last_contacted_at"


def _encode_cursor(sort: str, value: Any, ident: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps({"s": sort, "k": [value, ident]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        value, ident = data["k"]
        if data["s"] != sort or not isinstance(ident, int):
            raise ValueError
        if sort.lstrip("-") in ("created_at", "last_contacted_at") and value is not None:
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError
        expected = {"name": str, "-name": str, "relevance": int | float}.get(sort, object)
        if value is not None and not isinstance(value, expected):
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed.field(
            "cursor", Message(N_("This page link is invalid or belongs to another sort order."))
        ) from exc
    return value, ident


def _after(col: Any, desc: bool, nullable: bool, value: Any, ident: int) -> ColumnElement[bool]:
    """Rows after (value, ident) in the order (col [desc] nulls last, id [desc])."""
    if not nullable:
        key, bound = tuple_(col, Customer.id), tuple_(value, ident)
        return key < bound if desc else key > bound
    if value is None:
        return and_(col.is_(None), Customer.id < ident if desc else Customer.id > ident)
    later = col < value if desc else col > value
    tie = Customer.id < ident if desc else Customer.id > ident
    return or_(later, and_(col == value, tie), col.is_(None))


def resolve_sort(sort: str | None, flt: CustomerFilter) -> str:
    """The sort used: relevance when searching the index, else name; ValidationFailed if unknown."""
    if sort is not None and sort not in SORTS:
        raise ValidationFailed.field(
            "sort", Message(N_("Choose one of: %(choices)s."), choices=", ".join(SORTS))
        )
    terms = _terms(flt.q)
    searchable = bool(terms.long) and not flt.trash
    if sort is None:
        return "relevance" if searchable else "name"
    if sort == "relevance" and not searchable:
        return "name"
    return sort


def list_customers(
    session: Session,
    flt: CustomerFilter,
    *,
    sort: str | None = None,
    limit: int = 25,
    cursor: str | None = None,
) -> CustomerPage:
    """One page of customers matching `flt` in `sort` order (see SORTS; default relevance when
    `flt.q` is set, else name), `limit` per page (1 to 200), after the opaque `cursor` of the
    previous page. Raises ValidationFailed naming a bad field (stage, custom.<key>, sort,
    cursor, limit)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed.field("limit", Message(N_("Use 1 to %(limit)s."), limit=MAX_LIMIT))
    sort = resolve_sort(sort, flt)
    terms = _terms(flt.q)
    search = _search(session, terms, flt.trash)
    col, desc, nullable = _sort_key(sort, search.rank)
    query = select(Customer, col.label("sort_value")).where(
        *_filter_conditions(session, flt), *search.where
    )
    if search.join is not None:
        sub, onclause = search.join
        query = query.join(sub, onclause)
    if cursor:
        value, ident = _decode_cursor(cursor, sort)
        query = query.where(_after(col, desc, nullable, value, ident))
    order = col.desc() if desc else col.asc()
    if nullable:
        order = order.nulls_last()
    # Live rows all have deleted_at NULL, so leading with it changes nothing but lets
    # PostgreSQL walk ix_customers_live_name_sort (deleted_at, name_sort, id) instead of sorting
    # them all.
    lead = []
    if sort in ("name", "-name") and not flt.trash and terms.empty:  # (searches: few rows)
        lead = [Customer.deleted_at.desc() if desc else Customer.deleted_at.asc()]
    query = (
        query.order_by(*lead, order, Customer.id.desc() if desc else Customer.id.asc())
        .limit(limit + 1)
        .options(
            selectinload(Customer.emails),
            selectinload(Customer.phones),
            selectinload(Customer.tags),
            selectinload(Customer.consents),  # the API shows the latest consent per channel
            joinedload(Customer.organisation),
            joinedload(Customer.stage),
        )
    )
    rows = session.execute(query).unique().all()
    more = len(rows) > limit
    rows = rows[:limit]
    items = [row[0] for row in rows]
    next_cursor = None
    if more:
        last_customer, last_value = rows[-1]
        next_cursor = _encode_cursor(sort, last_value, last_customer.id)
    return CustomerPage(items, next_cursor, _highlights(session, items, terms, flt.trash), sort)


# ------------------------------------------------------------------ highlighting

SNIPPET_CHARS = 120


def highlight(text: str, terms: list[str], *, width: int = SNIPPET_CHARS) -> str | None:
    """An escaped snippet of `text` around the first match of any term, matches wrapped in
    <mark>; None when nothing matches. Terms are folded (text_folding) and match the text's
    letters with or without their accents."""
    if not terms:
        return None
    words = sorted({fold(t) for t in terms}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(t) for t in words), re.I)
    folded, positions = fold_with_positions(text)
    # Each match as a span of `text`: the folded text may be longer (ß → ss) or shorter.
    spans = [
        (positions[m.start()], positions[m.end() - 1] + 1)
        for m in pattern.finditer(folded)
        if m.end() > m.start()
    ]
    if not spans:
        return None
    first_start, first_end = spans[0]
    line_start = text.rfind("\n", 0, first_start) + 1
    line_end = text.find("\n", first_end)
    line_end = len(text) if line_end == -1 else line_end
    start = max(line_start, first_start - width // 3)
    end = min(line_end, start + width)
    out, pos = [], start
    for span_start, span_end in spans:
        if span_start < pos or span_end > end:
            continue
        out.append(html.escape(text[pos:span_start]))
        out.append("<mark>" + html.escape(text[span_start:span_end]) + "</mark>")
        pos = span_end
    out.append(html.escape(text[pos:end]))
    prefix = "…" if start > line_start else ""
    suffix = "…" if end < line_end else ""
    return prefix + "".join(out) + suffix


def _highlights(
    session: Session, items: list[Customer], terms: _Terms, trash: bool
) -> dict[int, str]:
    if terms.empty or not items:
        return {}
    words = [*terms.long, *terms.short]
    if trash or not terms.long:
        texts = {c.id: "\n".join(filter(None, [c.name, c.primary_email])) for c in items}
    else:
        texts = {
            ident: document
            for ident, document in session.execute(
                select(CustomerSearchDocument.customer_id, CustomerSearchDocument.document).where(
                    CustomerSearchDocument.customer_id.in_([c.id for c in items])
                )
            )
        }
    result = {}
    for ident, text in texts.items():
        snippet = highlight(text, words)
        if snippet is not None:
            result[ident] = snippet
    return result
