"""Reading an organizer's existing list as volunteers really export it (docs/console.md, "Import a list").

No database and no network here: bytes or pasted text in, checked rows out.

- Encoding: a byte-order mark decides (UTF-8, UTF-16 as Excel's "Unicode text" writes it); else
  UTF-8 if the bytes are valid UTF-8 (plain ASCII is both); else Windows-1252 (Excel's "CSV" on
  Windows). A deliberate rule rather than a statistical guess (charset detection libraries guess
  other single-byte code pages for short files): a file that is neither reads as Windows-1252,
  and the preview shows every name before anyone is added.
- Delimiter: comma, semicolon (European locales), tab (cells pasted from a spreadsheet, "Unicode
  text") or a bar; the one whose first row names the most known columns wins, then the one that
  splits the first rows into the same number of cells.
- Header names: compared without case, spaces or punctuation ("E-mail Address" = "email address"),
  from the lists below (Google Sheets, Excel, Outlook and Google Contacts exports, sign-up forms).
  A list without a header row (pasted cells) is read by its contents: the column of addresses, the
  column of states, the name columns before them; the preview says so.
- States: "Idaho", "ID", "Id.", "Ida.", "Mont.", "Montana", "MT", with notes ("ID (north)",
  "Idaho - Boise") that also give a time-zone hint (north Idaho is on Pacific time).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import getaddresses
from itertools import islice
from typing import Literal

from chalicelib.constants import STATE_NAMES
from chalicelib.errors import Invalid
from chalicelib.validation import refused_character

MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_CELL = 200  # characters of a cell kept for the preview
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_ROWS = 20

Column = Literal["name", "first", "middle", "last", "email", "state", "zone"]
ZoneHint = Literal["pacific", "mountain"]

# Normalized header (lower case, letters and digits only) -> what the column holds.
HEADERS: dict[str, Column] = {
    **dict.fromkeys(
        (
            "name",
            "fullname",
            "yourname",
            "membername",
            "contactname",
            "displayname",
            "participantname",
            "nameoncard",
            "firstandlastname",
            "namefirstlast",
        ),
        "name",
    ),
    **dict.fromkeys(("firstname", "first", "givenname", "forename", "fname", "firstnames", "preferredname"), "first"),
    **dict.fromkeys(("middlename", "middle", "middleinitial", "mi", "additionalname"), "middle"),
    **dict.fromkeys(("lastname", "last", "surname", "familyname", "lname"), "last"),
    **dict.fromkeys(
        (
            "email",
            "emailaddress",
            "emailaddr",
            "mail",
            "emails",
            "email1",
            "email1value",
            "emailaddress1",
            "primaryemail",
            "personalemail",
            "homeemail",
            "emailhome",
            "youremail",
            "youremailaddress",
            "contactemail",
        ),
        "email",
    ),
    **dict.fromkeys(
        (
            "state",
            "stateprovince",
            "stateorprovince",
            "stateprov",
            "province",
            "st",
            "region",
            "stateregion",
            "homestate",
            "address1region",
            "statecode",
            "usstate",
            "mailingstate",
            "homeaddressstate",
            "whichstate",
            "whichstatedoyoulivein",
            "statewhereyoulive",
        ),
        "state",
    ),
    **dict.fromkeys(("timezone", "zone", "tz", "timezoneofmeetings"), "zone"),
}

_STATE_WORDS = {"id": "ID", "ida": "ID", "idaho": "ID", "mt": "MT", "mont": "MT", "montana": "MT", "mon": "MT"}
_FILLER = {"usa", "us", "u", "s", "a", "united", "states", "of", "america", "the", "state"}
# Words of a note that place someone in Idaho's Pacific part (the panhandle) or its Mountain part.
_PACIFIC_WORDS = {"north", "northern", "n", "panhandle", "pacific", "pt", "pst", "pdt", "cda", "spokane"}
_MOUNTAIN_WORDS = {"south", "southern", "southwest", "southeast", "sw", "se", "east", "eastern", "mountain", "mst"}
_MOUNTAIN_WORDS |= {"mdt", "boise"}
_PACIFIC_PLACES = ("coeur d", "sandpoint", "moscow", "lewiston", "post falls", "hayden", "bonners ferry", "kellogg")
_MOUNTAIN_PLACES = ("boise", "nampa", "meridian", "idaho falls", "pocatello", "twin falls", "caldwell", "eagle")
_ZONE_CELLS: dict[str, ZoneHint] = {
    **dict.fromkeys(("pacific", "pt", "pst", "pdt", "pacifictime", "americalosangeles", "northidaho"), "pacific"),
    **dict.fromkeys(("mountain", "mst", "mdt", "mountaintime", "americadenver", "americaboise"), "mountain"),
}
_ADDRESSISH = re.compile(r"[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+")


@dataclass
class Person:
    name: str
    email: str
    state: str
    zone_hint: ZoneHint | None = None


@dataclass
class ImportRow:
    line: int
    person: Person | None
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def why(self) -> str:
        """The row's problems in one line, for the preview and the result."""
        return " ".join(f"{LABELS.get(k, k)}: {v}" for k, v in self.errors.items())


LABELS = {"name": "Name", "email": "Email", "state": "State", "row": "Row"}


@dataclass
class ParsedList:
    rows: list[ImportRow]
    encoding: str
    delimiter: str
    columns: dict[Column, str]  # what -> the header (or "column N") it was read from
    notes: list[str] = field(default_factory=list)

    @property
    def ready(self) -> list[ImportRow]:
        return [r for r in self.rows if r.person is not None]

    @property
    def refused(self) -> list[ImportRow]:
        return [r for r in self.rows if r.person is None]


# ---------------------------------------------------------------- encoding


def decode_text(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read as (see the module's docstring)."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(name), "UTF-16" if name == "utf-16" else "UTF-8"
            except UnicodeDecodeError:
                break
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    # Windows-1252 leaves five bytes undefined; read those as Latin-1 rather than refuse the file.
    return data.decode("cp1252", errors="strict") if _cp1252_ok(data) else _cp1252_lenient(data), "Windows-1252"


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def _cp1252_lenient(data: bytes) -> str:
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)


# ---------------------------------------------------------------- headers and delimiter


def header_key(text: str) -> str:
    """A header as compared: lower case, letters and digits only ("E-mail Address" -> "emailaddress")."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def column_of(header: str) -> Column | None:
    key = header_key(header)
    if key in HEADERS:
        return HEADERS[key]
    if key.startswith("email") and "opt" not in key and "consent" not in key:
        return "email"  # "E-mail 1 - Value", "Email (personal)"
    return None


def _rows(text: str, delimiter: str) -> Iterable[list[str]]:
    return csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=False, strict=False)


def detect_delimiter(text: str) -> str:
    """The delimiter whose first row names the most known columns; failing that (no header row),
    the one that splits the first rows into the same number of cells, more than one."""
    best: tuple[int, int, int, int] | None = None
    chosen = ","
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            sample = [r for r in islice(_rows(text, delimiter), SAMPLE_ROWS) if any(c.strip() for c in r)]
        except csv.Error:
            continue
        if not sample:
            continue
        known = len({column_of(c) for c in sample[0]} - {None})
        widths = {len(r) for r in sample}
        steady = int(len(widths) == 1 and len(sample[0]) > 1)
        score = (known, steady, min(len(sample[0]), 8), -rank)
        if best is None or score > best:
            best, chosen = score, delimiter
    return chosen


# ---------------------------------------------------------------- cells


def parse_state(cell: str) -> tuple[str | None, ZoneHint | None]:
    """("ID" | "MT" | None, a zone hint from the note): "Id." -> ID, "Mont." -> MT, "ID (north)" ->
    (ID, pacific). Words in parentheses or after a dash, comma or slash are a note."""
    lowered = cell.lower().replace("\u2019", "'").strip()
    hint = _place_hint(lowered)
    segments = [s for s in re.split(r"[()\[\],/;]| - | \u2013 | \u2014 ", lowered) if s.strip()]
    for word in re.findall(r"[a-z]+", lowered):
        if word in _PACIFIC_WORDS:
            hint = hint or "pacific"
        elif word in _MOUNTAIN_WORDS:
            hint = hint or "mountain"
    codes = set()
    for segment in segments:  # "Idaho (north)", and also "Coeur d'Alene, ID"
        words = re.findall(r"[a-z]+", segment)
        rest = [w for w in words if w not in _FILLER and w not in _PACIFIC_WORDS and w not in _MOUNTAIN_WORDS]
        if len(rest) == 1 and rest[0] in _STATE_WORDS:
            codes.add(_STATE_WORDS[rest[0]])
    code = codes.pop() if len(codes) == 1 else None  # "Montana/Idaho" says neither
    if code != "ID":
        return code, None  # all of Montana is on Mountain time
    return code, hint


def _place_hint(text: str) -> ZoneHint | None:
    if any(place in text for place in _PACIFIC_PLACES):
        return "pacific"
    if any(place in text for place in _MOUNTAIN_PLACES):
        return "mountain"
    return None


def parse_zone(cell: str) -> ZoneHint | None:
    return _ZONE_CELLS.get(header_key(cell))


def split_address(cell: str) -> tuple[str, str]:
    """(display name, address) of a cell such as ``Ann Kowalski <ann@example.org>`` or
    ``mailto:ann@example.org``; the cell as it is when it holds no such form."""
    text = cell.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if "<" in text and ">" in text:
        found = getaddresses([text])
        if len(found) == 1 and found[0][1]:
            return found[0][0].strip(), found[0][1].strip()
    return "", text


# ---------------------------------------------------------------- one person


def check_person(name: str, email: str, state: str) -> tuple[Person | None, dict[str, str]]:
    """One person's details, checked as the signup form checks them (the state in any spelling)."""
    from chalicelib.emails import normalize_email

    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = "Please fill this in."
    elif len(name) > 100:
        errors["name"] = "Give a name of at most 100 characters."
    elif refused_character(name):
        errors["name"] = "Use letters, spaces and punctuation only."
    elif name[0] in "=+-@|%":
        errors["name"] = "A name cannot start with = + - @ | or %."
    normalized = ""
    if not email.strip():
        errors["email"] = "Please fill this in."
    elif len(_ADDRESSISH.findall(email)) > 1:
        errors["email"] = "Holds more than one address; give one per row."
    else:
        try:
            normalized = normalize_email(email)
        except ValueError as exc:
            errors["email"] = str(exc)
    code, hint = parse_state(state)
    if code is None:
        errors["state"] = "Please choose Idaho or Montana." if not state.strip() else "Idaho or Montana only."
    if errors:
        return None, errors
    assert code is not None
    return Person(name, normalized, code, hint), {}


# ---------------------------------------------------------------- the whole list


# A workbook as a spreadsheet saves it, not CSV text: .xlsx, .ods and .numbers are zip files; .xls an
# OLE compound file.
WORKBOOK_ZIP = b"PK\x03\x04"
WORKBOOK_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_PROBLEM = (
    "This is a workbook (such as Excel's .xlsx), not a CSV file. In your spreadsheet, choose Save As "
    "(or Download) and CSV, then choose that file here; or copy the cells and paste them."
)


def parse_upload(data: bytes, *, default_state: str = "") -> ParsedList:
    """An uploaded file (bytes in any of the encodings above)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid(fields={"csv": f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it."})
    if data.startswith((WORKBOOK_ZIP, WORKBOOK_OLE)):
        raise Invalid(fields={"csv": WORKBOOK_PROBLEM})
    text, encoding = decode_text(data)
    parsed = parse_text(text, default_state=default_state, encoding=encoding)
    if encoding != "UTF-8":
        kind = "Excel's older Windows format" if encoding == "Windows-1252" else "Unicode text"
        parsed.notes.insert(
            0,
            f"Your file was saved in {kind} ({encoding}); we read it that way. "
            "Check that names with accents look right.",
        )
    return parsed


def parse_text(text: str, *, default_state: str = "", encoding: str = "UTF-8") -> ParsedList:
    """Rows of a list: a header row naming the columns (any order, any of the names above), or no
    header row at all (read by the cells' contents). ``default_state`` (ID or MT): the state of
    rows that give none. Invalid (field ``csv``) when the file as a whole cannot be read."""
    text = text.lstrip("\ufeff")
    if len(text.encode("utf-8", errors="replace")) > MAX_IMPORT_BYTES:
        raise Invalid(fields={"csv": f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it."})
    if not text.strip():
        raise Invalid(fields={"csv": "The file is empty. Choose a file or paste the rows."})
    delimiter = detect_delimiter(text)
    try:
        table = [[c.strip().strip("\ufeff") for c in row] for row in _rows(text, delimiter)]
    except csv.Error:
        raise Invalid(fields={"csv": "The file could not be read as a spreadsheet (CSV)."}) from None
    numbered = [(n, row) for n, row in enumerate(table, start=1) if any(row)]
    if not numbered:
        raise Invalid(fields={"csv": "The file is empty. Choose a file or paste the rows."})
    header = numbered[0][1]
    columns = _header_columns(header)
    notes: list[str] = []
    if "email" in columns:
        body = numbered[1:]
        used = {what: header[i] for what, i in columns.items()}
    else:
        inferred = _columns_by_content([row for _, row in numbered[:SAMPLE_ROWS]])
        if inferred is None:
            names = ", ".join(f'"{h}"' for h in header if h) or "nothing"
            raise Invalid(
                fields={
                    "csv": "We could not find the column of email addresses. The first row names "
                    f"{names}. Name the columns Name (or First Name and Last Name), Email and State."
                }
            )
        columns, body = inferred, numbered
        used = {what: f"column {i + 1}" for what, i in columns.items()}
        notes.append(
            "The list has no row naming its columns, so we read them by what they hold: "
            + ", ".join(f"{WHAT[what]} from {where}" for what, where in used.items())
            + ". If that is wrong, add a first row naming the columns."
        )
    missing = []
    if "name" not in columns and "first" not in columns and "last" not in columns:
        missing.append("a name (Name, or First Name and Last Name)")
    if "state" not in columns and default_state not in STATE_NAMES:
        missing.append("the state (State; or choose a state for everyone below)")
    if missing:
        raise Invalid(fields={"csv": "We could not find a column for " + " or ".join(missing) + "."})
    if not body:
        raise Invalid(fields={"csv": "The list has only its row of column names: nobody to add."})
    if len(body) > MAX_IMPORT_ROWS:
        raise Invalid(
            fields={"csv": f"The list has {len(body)} people; at most {MAX_IMPORT_ROWS} at a time. Split it."}
        )
    rows = [_row(line, cells, columns, default_state) for line, cells in body]
    _mark_repeats(rows)
    return ParsedList(rows, encoding, delimiter, used, notes)


WHAT = {
    "name": "the name",
    "first": "the first name",
    "middle": "the middle name",
    "last": "the last name",
    "email": "the email address",
    "state": "the state",
    "zone": "the time zone",
}


def _header_columns(header: Sequence[str]) -> dict[Column, int]:
    columns: dict[Column, int] = {}
    for index, cell in enumerate(header):
        what = column_of(cell)
        if what is not None and what not in columns:
            columns[what] = index
    if "email" in columns and "state" not in columns:
        # "Address 1 - Region" and the like: a header that merely contains "state".
        for index, cell in enumerate(header):
            if "state" in header_key(cell) and index not in columns.values():
                columns["state"] = index
                break
    return columns


def _columns_by_content(sample: list[list[str]]) -> dict[Column, int] | None:
    """Columns of a list without a header row: the one whose cells are addresses, the one whose
    cells are states, and the text columns before the addresses as the name (one: the full name;
    two: first and last)."""
    width = max(len(r) for r in sample)

    def share(index: int, test: Callable[[str], bool]) -> float:
        cells = [r[index] for r in sample if index < len(r) and r[index]]
        return sum(1 for c in cells if test(c)) / len(cells) if cells else 0.0

    emails = [i for i in range(width) if share(i, lambda c: "@" in c) >= 0.6]
    if not emails:
        return None
    email = emails[0]
    columns: dict[Column, int] = {"email": email}
    states = [i for i in range(width) if i != email and share(i, lambda c: parse_state(c)[0] is not None) >= 0.6]
    if states:
        columns["state"] = states[0]
    texts = [i for i in range(width) if i not in columns.values() and share(i, lambda c: "@" not in c) >= 0.6]
    before = [i for i in texts if i < email] or texts
    if len(before) >= 2 and before[1] == before[0] + 1:
        columns["first"], columns["last"] = before[0], before[1]
    elif before:
        columns["name"] = before[0]
    return columns


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _row(line: int, cells: list[str], columns: dict[Column, int], default_state: str) -> ImportRow:
    display, address = split_address(_cell(cells, columns.get("email")))
    if "name" in columns:
        name = _cell(cells, columns["name"])
    else:
        name = " ".join(p for p in (_cell(cells, columns.get(k)) for k in ("first", "middle", "last")) if p)
    if not name.strip() and display:
        name = display  # "Ann Kowalski <ann@example.org>"
    state = _cell(cells, columns.get("state")) or (STATE_NAMES.get(default_state, "") if default_state else "")
    raw = {"name": name[:MAX_CELL], "email": address[:MAX_CELL], "state": state[:MAX_CELL]}
    person, errors = check_person(name, address, state)
    if person is not None and "zone" in columns and person.state == "ID":
        person.zone_hint = parse_zone(_cell(cells, columns["zone"])) or person.zone_hint
    return ImportRow(line, person, errors, raw)


def _mark_repeats(rows: list[ImportRow]) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        if row.person is None:
            continue
        seen = first_line.get(row.person.email)
        if seen is not None:
            row.errors["email"] = f"The same address as row {seen}."
            row.person = None
        else:
            first_line[row.person.email] = row.line
