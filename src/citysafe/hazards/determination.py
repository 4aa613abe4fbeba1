"""Major-hazard determination (重大事故隐患判定) as a rule engine over versioned checklists ("packs").

A pack is one version of a national determination standard written as data (``data/determination/*.json``):

* 《工贸企业重大事故隐患判定标准》, 应急管理部令第10号, in force 2023-05-15 (``gongmao-2023.json``);
* 《化工和危险化学品生产经营单位重大生产安全事故隐患判定标准(试行)》, 安监总管三〔2017〕121号 (``huagong-2017.json``).

Both are *direct determination* (直接判定) standards: "有下列情形之一的，应当判定为重大事故隐患" (第10号令 第三条至
第十三条; 121号 "以下情形应当判定为重大事故隐患").  So one ticked situation of a direct article makes the hazard
major, cited by article and item; nothing ticked leaves it general (一般事故隐患, 总局令第16号 第三条).

Some items join conditions with "并且" and are major only when *all* of them hold: 第10号令 第十三条第(一)项
"有限空间 未辨识、无台账 **并且** 无明显警示标志" (standards-safety.md §3.2, 13.1).  Such an item is an ``all_of``
composite whose sub-conditions are ticked one by one (ticking the composite's own id asserts all of them).

Every item carries the status label of ``reference/standards-safety.md`` (CONFIRMED / SECONDARY / UNCONFIRMED).
Items not CONFIRMED are still determinable, but the proposal lists them so the UI can warn that the wording must
be checked against the official text.  An article whose items are not all in the pack is ``complete: false``;
a "general" proposal for such a pack warns that the checklist cannot rule a major hazard out.

This module is pure (no ORM, no Django): ``packs`` stores packs and applies proposals to hazards.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

STATUSES = ("CONFIRMED", "SECONDARY", "UNCONFIRMED")
MAJOR, GENERAL = "major", "general"

_PACK_KEYS = {"code", "version", "title", "document", "effective_from", "articles", "note", "sources", "repeals"}
_ARTICLE_KEYS = {"number", "title", "applies_to", "opening", "items", "direct", "complete", "note"}
_ITEM_KEYS = {"id", "text", "status", "source", "all_of", "label", "note"}
_CONDITION_KEYS = {"id", "text"}
_ID_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-_]*$")


class PackError(ValueError):
    """A pack that is not a valid checklist, or ticked ids that the pack does not contain.

    ``unknown_ids`` names the offending ids when the error is about ticked ids.
    """

    def __init__(self, message: str, unknown_ids: list[str] | None = None):
        super().__init__(message)
        self.unknown_ids = unknown_ids or []


@dataclass(frozen=True)
class Condition:
    """One sub-condition of an ``all_of`` item (e.g. 13.1.b "未建立有限空间管理台账")."""

    id: str
    text: str


@dataclass(frozen=True)
class Item:
    """One situation (情形) of an article.  ``label`` is how the basis cites it ("第3项"; "" = the whole article)."""

    id: str
    text: str
    status: str
    source: str = ""
    all_of: tuple[Condition, ...] = ()
    label: str = ""
    note: str = ""

    @property
    def is_composite(self) -> bool:
        return bool(self.all_of)

    @property
    def confirmed(self) -> bool:
        return self.status == "CONFIRMED"


@dataclass(frozen=True)
class Article:
    """One article (条) of a standard: "<applies_to> 有下列情形之一的，应当判定为重大事故隐患".

    ``direct`` articles make any ticked item major; ``complete`` is false when the pack lacks some of its items.
    """

    number: str
    title: str
    applies_to: str
    items: list[Item] = field(default_factory=list)
    opening: str = ""
    direct: bool = True
    complete: bool = True
    note: str = ""


@dataclass(frozen=True)
class Pack:
    """One version of a determination standard."""

    code: str
    version: str
    title: str
    document: str
    effective_from: dt.date | None
    articles: list[Article] = field(default_factory=list)
    note: str = ""

    @property
    def citation(self) -> str:
        """The standard as cited in a basis: "工贸企业重大事故隐患判定标准(应急管理部令第10号)"."""
        return f"{self.title}({self.document})" if self.document else self.title

    def items(self) -> dict[str, tuple[Article, Item]]:
        """Every item by id, with its article, in pack order."""
        return {item.id: (article, item) for article in self.articles for item in article.items}

    def conditions(self) -> dict[str, tuple[Article, Item, Condition]]:
        """Every sub-condition of a composite item by id."""
        return {cond.id: (article, item, cond) for article in self.articles for item in article.items
                for cond in item.all_of}

    @property
    def incomplete_articles(self) -> list[Article]:
        return [a for a in self.articles if not a.complete]


class Finding(NamedTuple):
    """One article that makes the hazard major: its number, the ticked item ids and their texts."""

    number: str
    item_ids: list[str]
    text: str


class Partial(NamedTuple):
    """A composite item with some but not all conditions ticked (not major on its own)."""

    item_id: str
    ticked: list[str]
    missing: list[str]


@dataclass
class Proposal:
    """What the engine proposes for a set of ticked ids.

    ``grade`` is "major" or "general"; ``articles`` lists the findings that make it major; ``basis`` cites them
    ("<standard>(<document>) 第十一条第3项"; empty when general); ``ticked`` is the normalised list of ticked ids
    (pack order) to store on the hazard; ``unconfirmed_ids`` are determining items whose wording is not CONFIRMED;
    ``partial`` lists composites short of some condition; ``unknown_ids`` ids not in the pack (only filled with
    ``strict=False``; otherwise they raise ``PackError``); ``warnings`` are texts for the UI.
    """

    grade: str
    articles: list[Finding] = field(default_factory=list)
    basis: str = ""
    ticked: list[str] = field(default_factory=list)
    unconfirmed_ids: list[str] = field(default_factory=list)
    partial: list[Partial] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_major(self) -> bool:
        return self.grade == MAJOR


# --- loading and validation ---------------------------------------------------------------------------------------

def load_pack(source: str | Path | dict[str, Any]) -> Pack:
    """Read and validate a pack from a JSON file path or an already-parsed dict.

    Raises ``PackError`` naming the place of the first problem: missing or empty fields, unknown keys (typos such as
    ``all_off``), an unknown status, duplicate article numbers, duplicate item or condition ids, an ``all_of`` with
    fewer than two conditions, a bad ``effective_from`` date.
    """
    if isinstance(source, dict):
        data, where = source, "pack"
    else:
        path = Path(source)
        where = path.name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise PackError(f"{where}: cannot read the file ({exc.strerror or exc})") from exc
        except json.JSONDecodeError as exc:
            raise PackError(f"{where}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(data, dict):
        raise PackError(f"{where}: a pack must be a JSON object")
    _check_keys(data, _PACK_KEYS, where)
    code, version, title = (_text(data, key, where) for key in ("code", "version", "title"))
    where = f"{code} {version}"
    document = _text(data, "document", where, required=False)
    effective = data.get("effective_from")
    if effective in (None, ""):
        effective_from = None
    else:
        try:
            effective_from = dt.date.fromisoformat(effective) if isinstance(effective, str) else None
        except ValueError:
            effective_from = None
        if effective_from is None:
            raise PackError(f"{where}: effective_from must be a date YYYY-MM-DD, not {effective!r}")
    raw_articles = data.get("articles")
    if not isinstance(raw_articles, list) or not raw_articles:
        raise PackError(f"{where}: 'articles' must be a non-empty list")
    articles: list[Article] = []
    seen_numbers: set[str] = set()
    seen_ids: set[str] = set()
    for index, raw in enumerate(raw_articles, start=1):
        article = _article(raw, where, index, seen_ids)
        if article.number in seen_numbers:
            raise PackError(f"{where}: duplicate article number {article.number!r}")
        seen_numbers.add(article.number)
        articles.append(article)
    if not seen_ids:
        raise PackError(f"{where}: the pack has no items")
    return Pack(code=code, version=version, title=title, document=document, effective_from=effective_from,
                articles=articles, note=_text(data, "note", where, required=False))


def _check_keys(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise PackError(f"{where}: unknown field(s) {', '.join(unknown)}")


def _text(data: dict, key: str, where: str, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise PackError(f"{where}: missing or empty field {key!r}")
    return value.strip()


def _flag(data: dict, key: str, where: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise PackError(f"{where}: {key!r} must be true or false")
    return value


def _new_id(value: Any, where: str, seen: set[str]) -> str:
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise PackError(f"{where}: missing or malformed id {value!r}")
    if value in seen:
        raise PackError(f"{where}: duplicate id {value!r}")
    seen.add(value)
    return value


def _article(raw: Any, pack_where: str, index: int, seen_ids: set[str]) -> Article:
    where = f"{pack_where} article #{index}"
    if not isinstance(raw, dict):
        raise PackError(f"{where}: an article must be an object")
    _check_keys(raw, _ARTICLE_KEYS, where)
    number = raw.get("number")
    if not isinstance(number, str):
        raise PackError(f"{where}: missing field 'number' (may be \"\" for a standard without articles)")
    number = number.strip()
    if number:
        where = f"{pack_where} {number}"
    title = _text(raw, "title", where)
    applies_to = _text(raw, "applies_to", where)
    complete = _flag(raw, "complete", where, True)
    raw_items = raw.get("items")
    if not isinstance(raw_items, list):
        raise PackError(f"{where}: 'items' must be a list")
    if not raw_items and complete:
        raise PackError(f"{where}: an article without items must say \"complete\": false")
    items = [_item(entry, where, i, number, seen_ids) for i, entry in enumerate(raw_items, start=1)]
    return Article(number=number, title=title, applies_to=applies_to, items=items,
                   opening=_text(raw, "opening", where, required=False), direct=_flag(raw, "direct", where, True),
                   complete=complete, note=_text(raw, "note", where, required=False))


def _item(raw: Any, article_where: str, index: int, article_number: str, seen_ids: set[str]) -> Item:
    where = f"{article_where} item #{index}"
    if not isinstance(raw, dict):
        raise PackError(f"{where}: an item must be an object")
    _check_keys(raw, _ITEM_KEYS, where)
    item_id = _new_id(raw.get("id"), where, seen_ids)
    where = f"{article_where} item {item_id}"
    text = _text(raw, "text", where)
    status = raw.get("status")
    if status not in STATUSES:
        raise PackError(f"{where}: unknown status {status!r} (expected one of {', '.join(STATUSES)})")
    conditions: list[Condition] = []
    if "all_of" in raw:
        raw_conditions = raw["all_of"]
        if not isinstance(raw_conditions, list) or len(raw_conditions) < 2:
            raise PackError(f"{where}: 'all_of' must list at least two conditions")
        for entry in raw_conditions:
            if not isinstance(entry, dict):
                raise PackError(f"{where}: a condition must be an object with id and text")
            _check_keys(entry, _CONDITION_KEYS, where)
            cond_id = _new_id(entry.get("id"), f"{where} condition", seen_ids)
            conditions.append(Condition(id=cond_id, text=_text(entry, "text", f"{where} condition {cond_id}")))
    label = raw.get("label")
    if label is None:
        label = _default_label(item_id, article_number)
    elif not isinstance(label, str):
        raise PackError(f"{where}: 'label' must be text")
    return Item(id=item_id, text=text, status=status, source=_text(raw, "source", where, required=False),
                all_of=tuple(conditions), label=label, note=_text(raw, "note", where, required=False))


def _default_label(item_id: str, article_number: str) -> str:
    """"11.3" -> "第3项"; "14" (a whole article such as 第十四条) -> ""; "3" in an unnumbered list -> "第3项"."""
    if "." in item_id:
        return f"第{item_id.rsplit('.', 1)[1]}项"
    return "" if article_number else f"第{item_id}项"


# --- proposing ----------------------------------------------------------------------------------------------------

def propose(pack: Pack, ticked_ids, *, strict: bool = True) -> Proposal:
    """Propose a grade and a basis for the situations ticked on the checklist.

    * any ticked item of a direct-determination article (第10号令 第三条至第十四条; 121号 一至二十) -> major,
      citing that article and item; several are all cited, in pack order;
    * a composite (``all_of``, "并且") counts only when every condition is ticked, or its own id is ticked;
    * nothing determining ticked -> general (一般事故隐患) and no basis;
    * ids not in the pack raise ``PackError`` (``strict``) or are returned in ``unknown_ids``.
    """
    if isinstance(ticked_ids, str):
        ticked_ids = [ticked_ids]  # one id, not its characters
    items = pack.items()
    conditions = pack.conditions()
    wanted = {str(t).strip() for t in ticked_ids or () if str(t).strip()}
    unknown = [t for t in dict.fromkeys(str(t).strip() for t in ticked_ids or ())
               if t and t not in items and t not in conditions]
    if unknown and strict:
        raise PackError(f"{pack.code} {pack.version}: unknown item id(s) {', '.join(unknown)}", unknown_ids=unknown)
    proposal = Proposal(grade=GENERAL, unknown_ids=unknown)
    by_article: dict[str, list[Item]] = {}
    for article in pack.articles:
        for item in article.items:
            for cond in item.all_of:
                if cond.id in wanted:
                    proposal.ticked.append(cond.id)
            if item.id in wanted:
                proposal.ticked.append(item.id)
            met = _is_met(item, wanted)
            if item.all_of and not met:
                done = [c.id for c in item.all_of if c.id in wanted]
                if done:
                    proposal.partial.append(Partial(item.id, done, [c.id for c in item.all_of if c.id not in wanted]))
            if met and article.direct:
                by_article.setdefault(article.number, []).append(item)
    for number, hits in by_article.items():
        proposal.articles.append(Finding(number, [i.id for i in hits], "；".join(i.text for i in hits)))
        proposal.unconfirmed_ids += [i.id for i in hits if not i.confirmed]
    if proposal.articles:
        proposal.grade = MAJOR
        proposal.basis = basis_text(pack, by_article)
    if proposal.unconfirmed_ids:
        proposal.warnings.append(
            "判定依据中的条目 " + "、".join(proposal.unconfirmed_ids) + " 文字未经官方文本核实，请对照原文确认")
    for part in proposal.partial:
        proposal.warnings.append(f"{part.item_id} 须同时满足全部情形，尚缺 " + "、".join(part.missing))
    if not proposal.is_major and pack.incomplete_articles:
        proposal.warnings.append(
            "本判定标准以下条款的条目未全部录入，未勾选不能排除重大事故隐患: "
            + "、".join(a.number or a.title for a in pack.incomplete_articles))
    return proposal


def _is_met(item: Item, wanted: set[str]) -> bool:
    if item.id in wanted:
        return True
    return bool(item.all_of) and all(c.id in wanted for c in item.all_of)


def basis_text(pack: Pack, by_article: dict[str, list[Item]]) -> str:
    """"<standard>(<document>) 第十一条第3项、第5项；第十三条第1项" (articles and items in pack order)."""
    parts = []
    for number, hits in by_article.items():
        labels = [item.label for item in hits if item.label]
        whole = any(not item.label for item in hits)
        cited = number if whole or not labels else number + "、".join(labels)
        parts.append(cited or "、".join(labels))
    return f"{pack.citation} {'；'.join(parts)}"
