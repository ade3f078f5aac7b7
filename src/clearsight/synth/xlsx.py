"""A minimal, vectorised, byte-reproducible .xlsx writer (inline strings, one sheet per table).

xlsxwriter spends about 10 microseconds per cell in Python; a national return set has millions of cells.
Here each column's cell XML is built with numpy string operations and the rows are joined once, so the
cost is a few array passes per column. The package is plain Office Open XML (the parts Excel, LibreOffice
and openpyxl need), zipped with fixed timestamps so that the same data gives the same bytes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from clearsight.synth.population import STRING

_FIXED = (1980, 1, 1, 0, 0, 0)
_OFFICE = "application/vnd.openxmlformats-officedocument"
_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" ContentType="{office}.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/styles.xml" ContentType="{office}.spreadsheetml.styles+xml"/>\
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>\
{sheets}</Types>"""
_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/>\
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" \
Target="docProps/core.xml"/></Relationships>"""
_CORE = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" \
xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>{title}</dc:title>\
<dc:creator>Clearsight synthetic data</dc:creator>\
<dcterms:created xsi:type="dcterms:W3CDTF">2026-01-01T00:00:00Z</dcterms:created></cp:coreProperties>"""
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font>\
</fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>\
</fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _escape(values: np.ndarray) -> np.ndarray:
    out = values.astype(STRING)
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        if np.any(np.strings.find(out, char) >= 0):
            out = np.strings.replace(out, char, entity)
    return out


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _cell(ref: str, text: str, bold: bool) -> str:
    style = ' s="1"' if bold else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t xml:space="preserve">{_escape_text(text)}</t></is></c>'


def sheet_xml(header: list[str], columns: list[np.ndarray], titles: list[str]) -> str:
    """The worksheet XML: title rows, a bold header row, then data rows (empty strings become no cell)."""
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}"><sheetData>']
    for number, title in enumerate(titles, start=1):
        cell = _cell(f"A{number}", title, number == 1) if title else ""
        parts.append(f'<row r="{number}">{cell}</row>')
    header_row = len(titles) + 1
    cells = "".join(_cell(f"{_column_letter(i)}{header_row}", name, True) for i, name in enumerate(header))
    parts.append(f'<row r="{header_row}">{cells}</row>')
    n = len(columns[0]) if columns else 0
    if n:
        numbers = np.arange(header_row + 1, header_row + 1 + n).astype(str).astype(STRING)
        body = np.full(n, "", dtype=STRING)
        for i, values in enumerate(columns):
            text = np.asarray(values).astype(STRING)
            ref = np.strings.add(_column_letter(i), numbers)
            cell = np.strings.add(
                np.strings.add(np.strings.add('<c r="', ref), '" t="inlineStr"><is><t xml:space="preserve">'),
                _escape(text),
            )
            cell = np.strings.add(cell, "</t></is></c>")
            body = np.strings.add(body, np.where(np.strings.str_len(text) > 0, cell, ""))
        rows = np.strings.add(np.strings.add(np.strings.add(np.strings.add('<row r="', numbers), '">'), body), "</row>")
        parts.append("".join(rows.tolist()))
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def write_workbook(path: Path, sheets: list[tuple[str, dict[str, np.ndarray]]], titles: list[str]) -> None:
    """Write ``sheets`` (name, {column: values}) to ``path`` with ``titles`` above each header."""
    entries: list[tuple[str, str]] = []
    overrides, sheet_entries, rels = [], [], []
    for number, (name, frame) in enumerate(sheets, start=1):
        header = list(frame)
        entries.append((f"xl/worksheets/sheet{number}.xml", sheet_xml(header, [frame[h] for h in header], titles)))
        overrides.append(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
        sheet_entries.append(f'<sheet name="{_escape_text(name)}" sheetId="{number}" r:id="rId{number}"/>')
        rels.append(
            f'<Relationship Id="rId{number}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{number}.xml"/>'
        )
    styles_id = len(sheets) + 1
    rels.append(f'<Relationship Id="rId{styles_id}" Type="{_REL_NS}/styles" Target="styles.xml"/>')
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" '
        f'xmlns:r="{_REL_NS}"><sheets>{"".join(sheet_entries)}</sheets></workbook>'
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{"".join(rels)}</Relationships>'
    )
    parts = [
        ("[Content_Types].xml", _CONTENT_TYPES.format(sheets="".join(overrides), office=_OFFICE)),
        ("_rels/.rels", _ROOT_RELS),
        ("docProps/core.xml", _CORE.format(title=_escape_text(titles[0] if titles else ""))),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", workbook_rels),
        ("xl/styles.xml", _STYLES),
        *entries,
    ]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=_FIXED)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, text.encode("utf-8"))
