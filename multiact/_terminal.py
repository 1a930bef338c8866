"""Terminal output for the command line (``multiact list``, ``conformance``, ``bench``):
headings, tables that fit the terminal, legends, numbers a reader takes in at a glance.

A tool module: the CLI and the conformance reports import it; the core never does.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

__all__ = ["count", "heading", "legend", "table", "width"]

#: Where there is no terminal (a pipe, a log file, CI) output is laid out for this many
#: columns, as a terminal would be; ``COLUMNS`` sets another width.
DEFAULT_WIDTH = 100
#: Below this the layout stops shrinking (a table is split into blocks of columns instead).
_MIN_WIDTH = 40


def width() -> int:
    """The terminal's width in columns (``COLUMNS`` first; 100 where there is no terminal)."""
    return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, _MIN_WIDTH)


def count(n: int) -> str:
    """``4328`` as ``4 328``: thousands apart, as the reports write them."""
    return f"{n:,}".replace(",", " ")


def heading(text: str, columns: int | None = None) -> str:
    """A title underlined, so that one command's output is told apart from the next one's."""
    columns = columns or width()
    lines = textwrap.wrap(text, columns) or [""]
    return "\n".join(lines) + "\n" + "=" * min(max(len(line) for line in lines), columns)


def legend(items: Sequence[tuple[str, str]], columns: int | None = None) -> str:
    """``term: explanation`` lines, wrapped to the terminal with the explanation indented."""
    columns = columns or width()
    out = []
    for term, text in items:
        out.append(
            textwrap.fill(
                f"{term}: {text}" if term else text,
                columns,
                initial_indent="  ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
        )
    return "\n".join(out)


def _split_header(text: str) -> list[str]:
    """A column title on two lines, broken at its last hyphen or space (``array-api`` /
    ``-strict``), where that makes it narrower."""
    cut = max(text.rfind("-"), text.rfind(" "))
    if cut <= 0:
        return [text]
    return [text[:cut].rstrip(), text[cut:].strip() if text[cut] == " " else text[cut:]]


def _render(header_lines: list[list[str]], rows: list[list[list[str]]], widths: list[int]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(cells) for cells in header_lines]
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        height = max(len(cell) for cell in row)
        for i in range(height):
            out.append(line([cell[i] if i < len(cell) else "" for cell in row]))
    return "\n".join(out)


def _layout(
    header: list[str], rows: list[list[str]], columns: int, wrap: Sequence[int]
) -> tuple[list[list[str]], list[list[list[str]]], list[int]] | None:
    """Headers (one or two lines), wrapped cells and column widths that fit ``columns``, or
    None where no layout of these columns fits."""
    titles = [[h] for h in header]
    cells = [[[c] for c in row] for row in rows]

    def widths() -> list[int]:
        return [
            max(
                max(len(t) for t in titles[i]),
                max((len(line) for row in cells for line in row[i]), default=0),
            )
            for i in range(len(header))
        ]

    def total(ws: list[int]) -> int:
        return sum(ws) + 2 * (len(ws) - 1)

    ws = widths()
    if total(ws) > columns:
        # Titles wider than their column's cells go on two lines (generic-numpy, array-api).
        for i, title in enumerate(header):
            body = max((len(row[i]) for row in rows), default=0)
            if len(title) > body:
                titles[i] = _split_header(title)
        ws = widths()
    if total(ws) > columns and wrap:
        # Text columns (reasons, notes) wrap, the widest first, down to a readable width.
        excess = total(ws) - columns
        for i in sorted(wrap, key=lambda i: -ws[i]):
            room = max(ws[i] - excess, 16, max(len(t) for t in titles[i]))
            if room >= ws[i]:
                continue
            for row in cells:
                row[i] = textwrap.wrap(" ".join(row[i]), room, break_on_hyphens=False) or [""]
            ws = widths()
            excess = total(ws) - columns
            if excess <= 0:
                break
    if total(ws) > columns:
        return None
    depth = max(len(t) for t in titles)
    header_lines = [
        [t[i - (depth - len(t))] if i >= depth - len(t) else "" for t in titles]
        for i in range(depth)
    ]
    return header_lines, cells, ws


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    columns: int | None = None,
    wrap: Sequence[int] = (),
) -> str:
    """A plain-text table that fits ``columns`` (the terminal's width by default).

    Where the natural layout is too wide, column titles go on two lines, then the columns in
    ``wrap`` (indices of free text) wrap, and as a last resort the table is split into blocks
    of columns, each repeating the first column.
    """
    columns = columns or width()
    header = [str(h) for h in header]
    body = [[str(c) for c in row] for row in rows]
    found = _layout(header, body, columns, wrap)
    if found is not None:
        return _render(*found)

    def sub(keep: list[int]) -> tuple[list[str], list[list[str]], list[int]]:
        kept_wrap = [keep.index(i) for i in wrap if i in keep]
        return [header[i] for i in keep], [[r[i] for i in keep] for r in body], kept_wrap

    blocks, start = [], 1
    while start < len(header):
        end = start + 1  # one column at least, whatever its width
        while end < len(header):
            h, b, w = sub([0, *range(start, end + 1)])
            if _layout(h, b, columns, w) is None:
                break
            end += 1
        h, b, w = sub([0, *range(start, end)])
        found = _layout(h, b, columns, w) or _layout(h, b, 10**6, w)
        assert found is not None
        blocks.append(_render(*found))
        start = end
    return "\n\n".join(blocks)
