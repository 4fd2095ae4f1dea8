"""Text files from spreadsheets and Chinese GIS: encodings in, strict CSV in, safe CSV out.

* :func:`detect_encoding` / :func:`decode_text`: the text encoding of a file (a byte-order
  mark, then UTF-8, then ``charset-normalizer``'s candidates checked on the decoded text:
  CJK that decodes cleanly beats Latin-1 mojibake). GBK/GB2312 are read as GB18030, their
  superset. A file that cannot be decoded is refused, naming the file and ``--encoding``.
* :func:`read_csv_strict`: CSV rows with their line numbers; an unclosed quote, a NUL byte
  or a row with more fields than the header is a rejected row with its line number,
  never silently merged into its neighbours.
* :func:`neutralise_cell` / :func:`neutralise_frame` / :func:`write_csv_text`: every CSV
  ecomap writes for spreadsheets has cells starting with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return prefixed with ``'`` so Excel/WPS show them as text instead of evaluating
  them (OWASP, *CSV Injection*). Numbers stay numbers; data files (GeoJSON, GeoPackage)
  keep the value as typed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ._errors import InputError

__all__ = [
    "ENCODING_HINT",
    "normalise_encoding",
    "detect_encoding",
    "decode_text",
    "CsvTable",
    "read_csv_strict",
    "neutralise_cell",
    "neutralise_frame",
    "write_csv_text",
]

#: What the ``--encoding`` option accepts, for error messages.
ENCODING_HINT = "give it with --encoding (gbk, gb18030, big5, utf-8, utf-16)"

_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "936": "gb18030",
            "euc-cn": "gb18030", "big5": "big5", "cp950": "big5", "950": "big5",
            "utf8": "utf-8", "utf-8": "utf-8", "utf8bom": "utf-8-sig", "utf-8-sig": "utf-8-sig",
            "utf16": "utf-16", "utf-16": "utf-16", "unicode": "utf-16"}
# encodings a detector's guess may be taken as (others are tried but must beat these)
_CJK = ("gb18030", "big5", "big5hkscs")
_LATIN = ("cp1252", "latin_1", "iso8859_15")
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")
_CJK_CHARS = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_RARE_LATIN = re.compile("[\u0180-\u02af]")  # Latin Extended-B and IPA: GBK misread as UTF-8
_MOJIBAKE = re.compile("[\u00c0-\u00ff][\u0080-\u00ff]")


def normalise_encoding(name: str, *, option: str = "--encoding") -> str:
    """Return the codec for a user's encoding name (``gbk`` and ``gb2312`` read as GB18030).

    Parameters
    ----------
    name : str
        ``gbk``, ``gb18030``, ``big5``, ``utf-8``, ``utf-8-sig``, ``utf-16``, ``cp936`` or any
        name Python's codecs know.
    option : str, default ``"--encoding"``
        The option named in the error.

    Returns
    -------
    str
        A Python codec name.

    Raises
    ------
    InputError
        If Python knows no such codec.
    """
    import codecs

    low = name.strip().lower().replace("_", "-")
    codec = _ALIASES.get(low, _ALIASES.get(low.replace("-", ""), low))
    try:
        codecs.lookup(codec)
    except LookupError:
        raise InputError(f"{option} {name!r}: unknown encoding; use gbk, gb18030, big5, utf-8 or utf-16") from None
    return codec


def _looks_utf16(raw: bytes) -> str | None:
    """``utf-16-le``/``-be`` for BOM-less UTF-16 text (every other byte NUL), else None."""
    sample = raw[:4000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.6 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.6 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _score(text: str) -> float:
    """How plausible decoded text is: CJK characters count for, control/private/mojibake against."""
    bad = len(_BAD_CHARS.findall(text)) + len(_MOJIBAKE.findall(text))
    return len(_CJK_CHARS.findall(text)) - 10.0 * bad


def detect_encoding(raw: bytes, *, file: str | Path = "input") -> tuple[str, str]:
    """Return the text encoding of ``raw`` and how it was found.

    A byte-order mark decides first (UTF-8, UTF-16); then text that is valid UTF-8 is
    UTF-8; then UTF-16 without a mark (every other byte NUL); otherwise
    ``charset-normalizer``'s candidates are decoded and checked on the text: a CJK
    encoding that decodes cleanly into CJK characters beats a Latin one (the mojibake of
    GBK read as Latin-1), and among CJK encodings the detector's order (least chaos) wins.

    Parameters
    ----------
    raw : bytes
        The file's bytes (for a DBF, its text fields).
    file : str or pathlib.Path, default ``"input"``
        Named in the error.

    Returns
    -------
    encoding : str
        A Python codec name (``utf-8``, ``utf-8-sig``, ``utf-16``, ``gb18030``, ``big5``, ...).
    how : str
        ``"byte-order mark"``, ``"valid UTF-8"``, ``"UTF-16 without a mark"`` or ``"detected"``.

    Raises
    ------
    InputError
        If no encoding decodes the bytes into plausible text; the message names the file
        and ``--encoding``.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", "byte-order mark"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", "byte-order mark"
    u16 = _looks_utf16(raw)
    if u16:
        return u16, "UTF-16 without a mark"
    try:
        if not _RARE_LATIN.search(raw.decode("utf-8")):  # short GBK can be valid UTF-8: "坪山" -> "ƺɽ"
            return "utf-8", "valid UTF-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    guesses = [m.encoding for m in from_bytes(raw)]
    names = []
    for g in [*guesses, *_CJK, *_LATIN]:
        codec = _ALIASES.get(g.replace("_", "-"), g)
        if codec in (*_CJK, *_LATIN) and codec not in names:
            names.append(codec)
    decoded = []
    for codec in names:
        try:
            decoded.append((codec, _score(raw.decode(codec))))
        except (UnicodeDecodeError, LookupError):
            continue
    clean_cjk = [c for c, s in decoded if c in _CJK and s > 0]
    if clean_cjk:  # in the detector's order: least chaos first
        return clean_cjk[0], "detected"
    plausible = [c for c, s in decoded if s >= 0]
    if not plausible:
        raise InputError(f"{file}: cannot tell its text encoding; {ENCODING_HINT}")
    return plausible[0], "detected"


def decode_text(raw: bytes, *, encoding: str | None = None, file: str | Path = "input") -> tuple[str, str]:
    """Decode a file's bytes with ``encoding`` or the detected one.

    Parameters
    ----------
    raw : bytes
        The file's bytes.
    encoding : str, optional
        Force this encoding (``--encoding``); default: :func:`detect_encoding`.
    file : str or pathlib.Path, default ``"input"``
        Named in errors.

    Returns
    -------
    text : str
        The text, without a byte-order mark.
    note : str
        Which encoding was used and how, e.g. ``"encoding gb18030 (detected)"``.

    Raises
    ------
    InputError
        If the bytes do not decode (naming the file, the byte offset and ``--encoding``).
    """
    if encoding is not None:
        codec, how = normalise_encoding(encoding), "given"
    else:
        codec, how = detect_encoding(raw, file=file)
    if codec == "utf-8" and raw.startswith(b"\xef\xbb\xbf"):
        codec = "utf-8-sig"
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not {codec} text (byte {exc.start}); {ENCODING_HINT}") from None
    return text.lstrip("\ufeff"), f"encoding {codec} ({how})"


@dataclass
class CsvTable:
    """A CSV file read strictly: its header, good rows with line numbers, rejected rows.

    Attributes
    ----------
    header : list of str
        The column names of the first line, stripped.
    rows : list of list of str
        Each good row, padded with ``""`` to the header's width.
    lines : list of int
        The 1-based line on which each good row starts.
    rejected : list of tuple of (int, str, str)
        ``(line, rule, raw text)`` of each row that was refused.
    encoding : str
        The note of :func:`decode_text` (which encoding, and how it was found).
    """

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    encoding: str = ""


def _parse(body: str, delim: str) -> list[str] | None:
    """The fields of one record, or None when it is not well-formed CSV."""
    try:
        return next(csv.reader(io.StringIO(body, newline=""), delimiter=delim, strict=True))
    except (csv.Error, StopIteration):
        return None


def read_csv_strict(path: str | Path, *, encoding: str | None = None, text: str | None = None) -> CsvTable:
    """Read a CSV file row by row, rejecting malformed rows with their line numbers.

    The delimiter is a comma (or a tab for Excel "Unicode text", a semicolon when the
    header has semicolons and no comma). A row is rejected, with its 1-based line number,
    when it has an unclosed quote (the rows after it are still read), a NUL byte, or more
    fields than the header; blank lines are skipped.

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    encoding : str, optional
        Force the encoding; default detected (:func:`decode_text`).
    text : str, optional
        The already decoded text (then ``path`` only names the file).

    Returns
    -------
    CsvTable
        Header, good rows, their lines, and the rejected rows.

    Raises
    ------
    InputError
        If the file is missing, undecodable, or has no header line.
    """
    path = Path(path)
    note = ""
    if text is None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        text, note = decode_text(raw, encoding=encoding, file=path)
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        raise InputError(f"{path}: empty CSV (no header line)")
    first = lines[i].rstrip("\r\n")
    delim = "\t" if "\t" in first and "," not in first else ";" if ";" in first and "," not in first else ","
    header_fields = _parse(first, delim)
    if header_fields is None:
        raise InputError(f"{path}: line {i + 1}: the header is not well-formed CSV (an unclosed quote?)")
    header = [h.strip() for h in header_fields]
    table = CsvTable(header=header, encoding=note)
    i += 1
    while i < len(lines):
        start, body, j = i, lines[i], i + 1
        while body.count('"') % 2 and j < len(lines):  # a quoted field may span lines ...
            body += lines[j]
            j += 1
        body = body.rstrip("\r\n")
        fields = None if body.count('"') % 2 else _parse(body, delim)
        if j > i + 1 and (fields is None or len(fields) != len(header)):
            # ... unless the joined record does not parse: the quote on this line is never closed
            table.rejected.append((start + 1, "unclosed quote", lines[i].rstrip("\r\n")))
            i += 1
            continue
        i = j
        if not body.strip():
            continue
        if "\x00" in body:
            table.rejected.append((start + 1, "NUL byte in the row", body.replace("\x00", "\\0")))
        elif body.count('"') % 2:
            table.rejected.append((start + 1, "unclosed quote", body))
        elif fields is None:
            table.rejected.append((start + 1, "not well-formed CSV (a quote inside an unquoted field?)", body))
        elif len(fields) > len(header):
            table.rejected.append((start + 1, f"{len(fields)} fields but the header has {len(header)}", body))
        else:
            table.rows.append(fields + [""] * (len(header) - len(fields)))
            table.lines.append(start + 1)
    return table


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """Return a cell safe for a spreadsheet: text starting ``= + - @ TAB CR`` gets a leading ``'``.

    Parameters
    ----------
    value : object
        A cell. Numbers (and text that is exactly a number, such as ``-2.5``) and missing
        values come back unchanged.

    Returns
    -------
    object
        ``"'" + value`` for text a spreadsheet would evaluate as a formula, else ``value``.

    References
    ----------
    .. [1] OWASP, *CSV Injection*, https://owasp.org/www-community/attacks/CSV_Injection.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    try:
        float(value)
        return value
    except ValueError:
        return "'" + value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells, column names and index are :func:`neutralise_cell`-ed.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table about to be written as CSV.

    Returns
    -------
    pandas.DataFrame
        The same shape and index; only text cells that a spreadsheet would evaluate change.
    """
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise_cell)
    out.columns = [neutralise_cell(c) if isinstance(c, str) else c for c in out.columns]
    if out.index.dtype == object or pd.api.types.is_string_dtype(out.index):
        out.index = out.index.map(neutralise_cell).rename(out.index.name)
    return out


def write_csv_text(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """Return CSV text (newline line ends) with every cell :func:`neutralise_cell`-ed.

    Parameters
    ----------
    header : sequence of str
        The first row.
    rows : iterable of sequence
        The data rows.

    Returns
    -------
    str
        The CSV text.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([neutralise_cell(h) for h in header])
    for r in rows:
        w.writerow([neutralise_cell(v) for v in r])
    return buf.getvalue()
