"""The report as one self-contained HTML page (inline CSS, charts as inline SVG), and the PDF printed from it.

Nothing is fetched at read time (no fonts, scripts or CDNs): the page must open on an air-gapped laptop.
Each chart is an ``<svg role="img">`` with a title and description for screen readers, and its data table
sits right after it, so nobody depends on the picture. Every number shown comes from the published rows.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from clearsight.report.publish import SHORTHAND
from clearsight.report.release import TOTAL

CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#0b0c0c;margin:0 auto;max-width:60rem;
padding:1rem 1.5rem;line-height:1.45}
h1{font-size:2rem;margin-bottom:.3rem}h2{font-size:1.5rem;border-top:4px solid #1d70b8;padding-top:.6rem;
margin-top:2.5rem}h3{font-size:1.15rem;margin-top:2rem}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.9rem;width:100%}
caption{text-align:left;font-weight:bold;padding-bottom:.3rem}
th,td{border-bottom:1px solid #b1b4b6;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tr.total td{font-weight:bold}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#ffdd00;padding:.3rem}
.note{background:#f3f2f1;border-left:5px solid #b1b4b6;padding:.4rem .8rem}
.warn{border-left-color:#d4351c}
figure{margin:.5rem 0}svg text{font-family:"DejaVu Sans",Arial,sans-serif;font-size:12px;fill:#0b0c0c}
.headline{display:flex;gap:1rem;flex-wrap:wrap}.headline div{background:#1d70b8;color:#fff;padding:.8rem 1rem;
min-width:10rem}.headline strong{display:block;font-size:1.8rem}
@media print{body{max-width:none;font-size:10pt}h2{break-before:page}figure,tr{break-inside:avoid}
nav{break-after:page}}
@page{size:A4;margin:16mm 14mm;@bottom-right{content:"Page " counter(page) " of " counter(pages);font-size:8pt}}
"""


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return escape(str(value))
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _anchor(name: str) -> str:
    """A valid fragment id for a section or table name ('Harm, not risk' -> 'harm-not-risk')."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def bar_chart(name: str, title: str, rows: list[dict[str, Any]], dimension: str, measure: str) -> str:
    """A horizontal bar chart as accessible inline SVG; withheld values are labelled `[c]` with no bar."""
    data = [(str(row[dimension]), row[measure]) for row in rows if row[dimension] != TOTAL]
    if not data:
        return ""
    numeric = [v for _, v in data if _is_number(v)]
    top = max(numeric, default=0) or 1
    longest = max(len(category) for category, _ in data)
    label_width, bar_width, step = min(300, round(7.6 * min(longest, 38)) + 12), 330, 22
    height = step * len(data) + 10
    ident = _anchor(name)
    largest = sorted(((v, c) for c, v in data if _is_number(v)), reverse=True)[:3]
    described = "; ".join(f"{c}: {_number(v)}" for v, c in largest)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{label_width + bar_width + 80}" '
        f'height="{height}" viewBox="0 0 {label_width + bar_width + 80} {height}" '
        f'aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{escape(title)}: bar chart of {measure} by {dimension.replace("_", " ")}</title>',
        f'<desc id="{ident}-d">Largest: {escape(described)}. The data are in the table after the chart.</desc>',
        '<g font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12" fill="#0b0c0c">',
    ]
    for index, (category, value) in enumerate(data):
        y = 5 + index * step
        shown = category if len(category) <= 38 else category[:36] + "…"
        parts.append(f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{escape(shown)}</text>')
        if _is_number(value):
            width = round(bar_width * value / top, 1)
            parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{width}" height="{step - 6}" fill="#1d70b8"/>')
            parts.append(f'<text x="{label_width + width + 4}" y="{y + 15}">{_number(value)}</text>')
        else:
            parts.append(f'<text x="{label_width + 4}" y="{y + 15}">{escape(str(value))}</text>')
    parts.append("</g></svg>")
    return "".join(parts)


def header(column: str) -> str:
    """A column's name as a reader sees it (the CSV keeps the tidy name): 'offences per 10,000 children'."""
    text = column.replace("_per_10000_children", " per 10,000 children")
    for suffix, words in (("_lower_95", " (95% interval: lower)"), ("_upper_95", " (95% interval: upper)")):
        if text.endswith(suffix):
            text = text.removesuffix(suffix) + words
    text = {"percent_of_recorded": "percent of those recorded",
            "population_percent": "population percent (Census 2021)"}.get(text, text)
    return text.replace("_", " ")


def html_table(title: str, columns: list[str], rows: list[dict[str, Any]], dimensions: list[str]) -> str:
    """An accessible data table: caption, column headers with scope, totals in bold."""
    head = "".join(f'<th scope="col"{"" if c in dimensions else " class=n"}>{escape(header(c))}</th>'
                   for c in columns)
    body = []
    for row in rows:
        total = any(row.get(d) == TOTAL for d in dimensions)
        cells = []
        for column in columns:
            value = row.get(column, "")
            if column == dimensions[0] if dimensions else False:
                cells.append(f'<th scope="row">{escape(str(value))}</th>')
            elif column in dimensions:
                cells.append(f"<td>{escape(str(value))}</td>")
            else:
                cells.append(f'<td class="n">{_number(value)}</td>')
        body.append(f'<tr{" class=total" if total else ""}>{"".join(cells)}</tr>')
    return (f"<table><caption>{escape(title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


PRINTED_ROWS = 120  # longer tables are listed in the PDF by where to find them, not printed over pages


def render(document: dict[str, Any], max_rows: int | None = None) -> str:
    """The whole report page from the document model :func:`clearsight.report.run` assembles.

    ``max_rows`` (the PDF's) replaces a table longer than that by a sentence saying where it is: a table
    of 500 rows across ten printed pages helps nobody, and it is most of WeasyPrint's time.
    """
    sections: dict[str, list[dict[str, Any]]] = {}
    for item in document["tables"]:
        sections.setdefault(item["section"], []).append(item)
    nav = "".join(
        f'<li><a href="#{_anchor(s)}">{escape(s)}</a><ol>'
        + "".join(f'<li><a href="#{_anchor(t["name"])}">{escape(t["title"])}</a></li>' for t in items)
        + "</ol></li>" for s, items in sections.items())
    out = [f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
           f'<meta name="viewport" content="width=device-width, initial-scale=1">'
           f'<title>{escape(document["title"])}</title><style>{CSS}</style></head><body>',
           '<a class="skip" href="#main">Skip to the report</a>',
           f'<header><h1>{escape(document["title"])}</h1><p>{escape(document["subtitle"])}</p></header>',
           f'<nav aria-label="Contents"><h2 id="contents">Contents</h2><ol>{nav}'
           '<li><a href="#about">About these statistics</a></li></ol></nav><main id="main">',
           '<h2 id="summary">Summary</h2><div class="headline">']
    for label, value in document["headline"]:
        out.append(f"<div><strong>{_number(value)}</strong>{escape(label)}</div>")
    out.append("</div>")
    out.extend(f"<p>{escape(line)}</p>" for line in document["summary"])
    for section, items in sections.items():
        out.append(f'<h2 id="{_anchor(section)}">{escape(section)}</h2>')
        for item in items:
            out.append(f'<section aria-labelledby="{_anchor(item["name"])}">'
                       f'<h3 id="{_anchor(item["name"])}">{escape(item["title"])}</h3>')
            out.append(f"<p>{escape(item['description'])}</p>")
            for note in item["notes"]:
                warn = " warn" if "cannot support" in note else ""
                out.append(f'<p class="note{warn}">{escape(note)}</p>')
            if item.get("chart"):
                dimension, measure = item["chart"]
                svg = bar_chart(item["name"], item["title"], item["rows"], dimension, measure)
                if svg:
                    out.append(f"<figure>{svg}<figcaption>Chart: {escape(item['title'])}. "
                               f"Source: the table below (tables/{item['name']}.csv).</figcaption></figure>")
            if max_rows is not None and len(item["rows"]) > max_rows:
                out.append(f'<p class="note">This table has {len(item["rows"]):,} rows, too many to print: it is '
                           f'{escape(item["sheet"])} of report.xlsx, tables/{escape(item["name"])}.csv, and in '
                           "report.html.</p>")
            else:
                out.append(html_table(item["title"], item["columns"], item["rows"], item["dimensions"]))
            out.append("</section>")
    out.append('<h2 id="about">About these statistics</h2>')
    out.extend(f"<p>{escape(line)}</p>" for line in document["about"])
    out.append('<table><caption>Shorthand used in the tables</caption><thead><tr><th scope="col">symbol</th>'
               '<th scope="col">meaning</th></tr></thead><tbody>')
    out.extend(f'<tr><th scope="row">{escape(k)}</th><td>{escape(v)}</td></tr>' for k, v in SHORTHAND.items())
    out.append("</tbody></table></main></body></html>")
    return "\n".join(out)


def write_pdf(html: str, path: str) -> str | None:
    """Print the page to PDF with WeasyPrint; returns how it was made, or None when it cannot run here.

    WeasyPrint needs Pango from the system (Debian: libpango-1.0-0, libpangoft2-1.0-0); without it the
    other outputs are still written, and the summary and manifest say why the PDF is missing.
    """
    try:
        import weasyprint
    except (ImportError, OSError):
        return None
    weasyprint.HTML(string=html).write_pdf(path)
    return f"weasyprint {weasyprint.__version__}"
