"""Reading an organizer's existing list: the files volunteers really export (built here as the
programs write them), the header names they use, the state spellings, and the rows refused."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.errors import Invalid
from chalicelib.signups.importing import (
    MAX_IMPORT_ROWS,
    decode_text,
    detect_delimiter,
    parse_state,
    parse_text,
    parse_upload,
)


def people(parsed: object) -> list[tuple[str, str, str]]:
    return [(r.person.name, r.person.email, r.person.state) for r in parsed.ready]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- files as programs write them


def test_a_google_sheets_export_with_first_and_last_name_columns() -> None:
    # Google Sheets: File > Download > CSV: UTF-8 without a mark, quotes only where needed.
    data = (
        "First Name,Last Name,Email,State,Notes\r\n"
        'Renée,Côté,renee@example.org,Idaho,"Met at the Boise walk, 2023"\r\n'
        "Ann,Kowalski,Ann.Kowalski@Example.org,ID (north),\r\n"
        "Mary Jo,Smith-Jones,mj@example.org,Mont.,\r\n"
    ).encode()
    parsed = parse_upload(data)
    assert people(parsed) == [
        ("Renée Côté", "renee@example.org", "ID"),
        ("Ann Kowalski", "ann.kowalski@example.org", "ID"),
        ("Mary Jo Smith-Jones", "mj@example.org", "MT"),
    ]
    assert parsed.encoding == "UTF-8" and parsed.delimiter == ","
    assert [r.person.zone_hint for r in parsed.ready] == [None, "pacific", None]  # type: ignore[union-attr]
    assert parsed.notes == []


def test_an_excel_windows_1252_csv_with_an_e_mail_address_header() -> None:
    # Excel on Windows, "CSV (Comma delimited)": Windows-1252, CRLF, Outlook's header names.
    text = (
        "First Name,Last Name,E-mail Address,State/Province\r\n"
        "José,Núñez,jose@example.org,Montana\r\n"
        "Siobhán,O\u2019Brien,siobhan@example.org,Id.\r\n"
        "Zoë,Ångström,zoe@example.org,MT\r\n"
    )
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the file really is not UTF-8
    parsed = parse_upload(data)
    assert people(parsed) == [
        ("José Núñez", "jose@example.org", "MT"),
        ("Siobhán O\u2019Brien", "siobhan@example.org", "ID"),
        ("Zoë Ångström", "zoe@example.org", "MT"),
    ]
    assert parsed.encoding == "Windows-1252"
    assert "Windows-1252" in parsed.notes[0]


def test_excels_csv_utf8_with_a_byte_order_mark() -> None:
    data = codecs.BOM_UTF8 + "Name,Email,State\r\nRenée Côté,renee@example.org,idaho\r\n".encode()
    parsed = parse_upload(data)
    assert people(parsed) == [("Renée Côté", "renee@example.org", "ID")]
    assert parsed.columns["name"] == "Name"  # the mark is not part of the first header


def test_a_semicolon_separated_file_from_a_european_locale() -> None:
    data = "Name;E-mail;State\r\nKowalski, Ann;ann@example.org;Mont.\r\nBea Berg;bea@example.org;ID\r\n".encode(
        "cp1252"
    )
    parsed = parse_upload(data)
    assert parsed.delimiter == ";"
    assert people(parsed) == [("Kowalski, Ann", "ann@example.org", "MT"), ("Bea Berg", "bea@example.org", "ID")]


def test_cells_pasted_from_a_spreadsheet_are_tab_separated() -> None:
    pasted = (
        "Full Name\tEmail Address\tState\nAnn Kowalski\tann@example.org\tID (north)\nBea Berg\tbea@example.org\tMT\n"
    )
    parsed = parse_text(pasted)
    assert parsed.delimiter == "\t"
    assert people(parsed) == [("Ann Kowalski", "ann@example.org", "ID"), ("Bea Berg", "bea@example.org", "MT")]


def test_pasted_cells_without_a_header_row_are_read_by_their_contents() -> None:
    pasted = "Ann\tKowalski\tann@example.org\tIdaho\nBea\tBerg\tbea@example.org\tMontana\n"
    parsed = parse_text(pasted)
    assert people(parsed) == [("Ann Kowalski", "ann@example.org", "ID"), ("Bea Berg", "bea@example.org", "MT")]
    assert [r.line for r in parsed.rows] == [1, 2]  # the first row is a person, not a header
    assert "no row naming its columns" in parsed.notes[0]


def test_excels_unicode_text_is_utf16_with_tabs() -> None:
    text = "Name\tE-mail Address\tState\r\nZoë Ångström\tzoe@example.org\tMT\r\n"
    parsed = parse_upload(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert people(parsed) == [("Zoë Ångström", "zoe@example.org", "MT")]
    assert parsed.encoding == "UTF-16"


def test_an_outlook_contacts_export_with_many_columns() -> None:
    header = (
        "Title,First Name,Middle Name,Last Name,Suffix,Company,Home Street,Home City,Home State,"
        "Home Postal Code,E-mail Address,E-mail 2 Address,Mobile Phone"
    )
    row = ",Ann,M.,Kowalski,,,1 Lake St,Coeur d'Alene,ID,83814,ann@example.org,ann.work@example.org,208-555-0100"
    parsed = parse_upload(f"{header}\r\n{row}\r\n".encode("cp1252"))
    assert people(parsed) == [("Ann M. Kowalski", "ann@example.org", "ID")]
    assert parsed.columns == {
        "first": "First Name",
        "middle": "Middle Name",
        "last": "Last Name",
        "state": "Home State",
        "email": "E-mail Address",
    }


def test_an_address_with_a_display_name_gives_the_name_when_none_is_given() -> None:
    parsed = parse_text('Name,Email,State\n,"Ann Kowalski <ann@example.org>",MT\nBea,mailto:bea@example.org,ID\n')
    assert people(parsed) == [("Ann Kowalski", "ann@example.org", "MT"), ("Bea", "bea@example.org", "ID")]


@pytest.mark.parametrize(
    "header",
    [
        "name,email,state",
        "NAME , EMAIL , STATE",
        "Full Name,E-Mail,State / Province",
        "Your name,Your email,Which state",
    ],
)
def test_header_names_in_any_case_and_spacing(header: str) -> None:
    assert people(parse_text(f"{header}\nAnn,ann@example.org,MT\n")) == [("Ann", "ann@example.org", "MT")]


# ---------------------------------------------------------------- states


@pytest.mark.parametrize(
    ("cell", "code", "hint"),
    [
        ("Idaho", "ID", None),
        ("ID", "ID", None),
        ("Id.", "ID", None),
        ("id", "ID", None),
        ("Ida.", "ID", None),
        ("Mont.", "MT", None),
        ("Montana", "MT", None),
        ("MT", "MT", None),
        ("MT (Billings)", "MT", None),
        ("ID (north)", "ID", "pacific"),
        ("N. Idaho", "ID", "pacific"),
        ("North Idaho", "ID", "pacific"),
        ("Coeur d\u2019Alene, ID", "ID", "pacific"),
        ("Idaho - Boise", "ID", "mountain"),
        ("Idaho Falls, ID", "ID", "mountain"),
        ("Idaho, USA", "ID", None),
        ("WA", None, None),
        ("Washington", None, None),
        ("Montana/Idaho", None, None),  # says neither
        ("", None, None),
    ],
)
def test_state_spellings(cell: str, code: str | None, hint: str | None) -> None:
    assert parse_state(cell) == (code, hint)


def test_a_time_zone_column_gives_north_idaho_its_hint() -> None:
    parsed = parse_text("Name,Email,State,Time zone\nAnn,ann@example.org,ID,Pacific\nBea,bea@example.org,ID,\n")
    assert [r.person.zone_hint for r in parsed.ready] == ["pacific", None]  # type: ignore[union-attr]


# ---------------------------------------------------------------- refusals


def test_refused_rows_say_why_and_repeats_name_the_first_row() -> None:
    parsed = parse_text(
        "Name,Email,State\n"
        "Ann,ann@example.org,ID\n"
        "=HYPERLINK(1),x@example.org,MT\n"
        "Jo,not-an-address,ID\n"
        "Kay,kay@example.org,Washington\n"
        "Ann Again,ANN@example.org,ID\n"
        ",,\n"  # an empty row is not a person
        ",lou@example.org,MT\n"
        "Two,a@example.org; b@example.org,MT\n"
    )
    assert people(parsed) == [("Ann", "ann@example.org", "ID")]
    why = {r.line: r.why for r in parsed.refused}
    assert why == {
        3: "Name: A name cannot start with = + - @ | or %.",
        4: "Email: Must be a valid email address.",
        5: "State: Idaho or Montana only.",
        6: "Email: The same address as row 2.",
        8: "Name: Please fill this in.",
        9: "Email: Holds more than one address; give one per row.",
    }


def test_a_list_without_an_email_column_says_what_its_first_row_names() -> None:
    with pytest.raises(Invalid) as caught:
        parse_text("First,Last,Phone\nAnn,Kowalski,208-555-0100\n")
    message = caught.value.fields["csv"]
    assert "column of email addresses" in message and '"Phone"' in message


def test_a_missing_state_column_is_refused_unless_a_state_is_chosen_for_everyone() -> None:
    text = "Name,Email\nAnn,ann@example.org\nBea,bea@example.org,\n"
    with pytest.raises(Invalid) as caught:
        parse_text(text)
    assert "the state" in caught.value.fields["csv"]
    assert people(parse_text(text, default_state="MT")) == [
        ("Ann", "ann@example.org", "MT"),
        ("Bea", "bea@example.org", "MT"),
    ]


def test_an_empty_file_and_a_list_too_long() -> None:
    for empty in ("", "\ufeff", "\n\n", ",,\n"):
        with pytest.raises(Invalid):
            parse_text(empty)
    too_many = "name,email,state\n" + "".join(f"P{i},p{i}@example.org,MT\n" for i in range(MAX_IMPORT_ROWS + 1))
    with pytest.raises(Invalid) as caught:
        parse_text(too_many)
    assert f"at most {MAX_IMPORT_ROWS}" in caught.value.fields["csv"]
    fine = "name,email,state\n" + "".join(f"P{i},p{i}@example.org,MT\n" for i in range(3000))
    assert len(parse_text(fine).ready) == 3000


def test_decoding_prefers_the_mark_then_utf8_then_windows_1252() -> None:
    assert decode_text("é".encode()) == ("é", "UTF-8")
    assert decode_text(codecs.BOM_UTF8 + "é".encode()) == ("é", "UTF-8")
    assert decode_text("é\u2019".encode("cp1252")) == ("é\u2019", "Windows-1252")
    assert decode_text(b"a\x81b")[1] == "Windows-1252"  # a byte Windows-1252 leaves undefined: still read


def test_the_delimiter_follows_the_header_not_the_commas_in_names() -> None:
    assert detect_delimiter('Name;Email;State\n"Kowalski, Ann";a@example.org;MT\n') == ";"
    assert detect_delimiter("Name\tEmail\tState\nKowalski, Ann\ta@example.org\tMT\n") == "\t"
    assert detect_delimiter("Name,Email,State\nAnn; Bea,a@example.org,MT\n") == ","


# ---------------------------------------------------------------- any list, written any way


NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzAÉéñçøÅ' -,.;", min_size=1, max_size=30).filter(
    lambda s: s.strip() and s.strip()[0] not in "-,.;'" and " ".join(s.split()) == s
)
HEADERS = st.sampled_from(
    [("Name", "Email", "State"), ("Full Name", "E-mail Address", "State/Province"), ("name", "EMAIL", "st")]
)


@given(
    rows=st.lists(st.tuples(NAME, st.sampled_from(["Idaho", "ID", "Mont.", "Montana", "MT", "Id."])), max_size=12),
    delimiter=st.sampled_from([",", ";", "\t"]),
    headers=HEADERS,
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    newline=st.sampled_from(["\r\n", "\n"]),
)
def test_any_list_written_by_a_spreadsheet_reads_back_the_same(
    rows: list[tuple[str, str]], delimiter: str, headers: tuple[str, str, str], encoding: str, newline: str
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(headers)
    for index, (name, state) in enumerate(rows):
        writer.writerow([name, f"person{index}@example.org", state])
    parsed = parse_upload(out.getvalue().encode(encoding)) if rows else None
    if parsed is None:
        return
    expected = [
        (n, f"person{i}@example.org", "MT" if s.lower().startswith("m") else "ID") for i, (n, s) in enumerate(rows)
    ]
    assert people(parsed) == expected
    assert parsed.refused == []


def test_the_deployed_api_hands_uploads_over_as_the_bytes_sent() -> None:
    """API Gateway passes a body it does not list as binary as UTF-8 text: a Windows-1252 file
    would reach the import garbled. The generated API lists multipart/form-data as binary."""
    from chalice.deploy.swagger import CFNSwaggerGenerator

    from app import app

    document = CFNSwaggerGenerator().generate_swagger(app)
    assert "multipart/form-data" in document["x-amazon-apigateway-binary-media-types"]


def test_a_workbook_saved_as_xlsx_or_xls_is_refused_with_how_to_save_it_as_csv() -> None:
    """Emily chose her list as Excel saved it (.xlsx, a zip; or an old .xls): "The file could not be
    read as a spreadsheet (CSV)" did not say what to do."""
    import io
    import zipfile

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    for data in (packed.getvalue(), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512):
        with pytest.raises(Invalid) as refused:
            parse_upload(data)
        assert refused.value.fields == {
            "csv": "This is a workbook (such as Excel's .xlsx), not a CSV file. In your spreadsheet, "
            "choose Save As (or Download) and CSV, then choose that file here; or copy the cells and paste them."
        }


def test_a_list_with_only_its_row_of_column_names_is_refused_as_empty() -> None:
    """Only "Name,Email,State": the page said "0 of 0 people are ready to add" and kept a draft."""
    with pytest.raises(Invalid) as refused:
        parse_upload(b"Name,Email,State\r\n")
    assert refused.value.fields == {"csv": "The list has only its row of column names: nobody to add."}
