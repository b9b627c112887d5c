"""Units a raw value can be expressed in, and the only conversion between them that is safe.

The official sheets mix units (Acc 82.3 in percent, MS-SSIM 0.542 as a fraction, WER 5.6 meaning
5.6 %). Declaring a unit per value, and converting explicitly, is how generallevel avoids comparing
a fraction with a percentage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from .errors import InputError

UNITS = ("percent", "fraction", "dB", "mos", "value")

_SCALE = {("percent", "fraction"): 0.01, ("fraction", "percent"): 100.0}


def conversion_factor(src: str, dst: str, where: str = "") -> float:
    """Multiplier taking a value in ``src`` units to ``dst`` units; error if incompatible."""
    for u in (src, dst):
        if u not in UNITS:
            raise InputError(f"{where}unknown unit {u!r}; known units: {', '.join(UNITS)}")
    if src == dst:
        return 1.0
    try:
        return _SCALE[(src, dst)]
    except KeyError:
        raise InputError(f"{where}cannot convert a value in {src!r} to {dst!r}") from None


# --- unit declarations for official result workbooks -------------------------------------------

SHEET_CELL_UNITS = ("percent", "fraction")


@dataclass(frozen=True)
class UnitDeclaration:
    """``SHEET[:COLUMN]=UNIT``: the unit of the percent-scale cells of a workbook sheet (``*`` = every
    sheet), optionally only in one model column. Only cells the official sheet writes in percent
    (bounded metrics, WER) are concerned; dB, MOS, MS-SSIM and distances are unambiguous."""

    sheet: str  # a canonical sheet name or "*"
    column: str | None  # a model column (compared case-insensitively) or None = every column
    unit: str

    @property
    def text(self) -> str:
        return f"{self.sheet}{':' + self.column if self.column is not None else ''}={self.unit}"

    def rank(self) -> int:
        """Precedence: SHEET:COLUMN > SHEET > *:COLUMN > * (a named sheet beats a named column)."""
        return 2 * (self.sheet != "*") + (self.column is not None)


def _sheet_names() -> tuple[str, ...]:
    from .readers.workbook import SHEETS

    return SHEETS


def parse_unit_declarations(spec: Mapping[str, str] | Iterable[str]) -> list[UnitDeclaration]:
    """Declarations from ``{"NLP": "fraction", "*:my-model": "percent"}`` or ``["NLP=fraction", ...]``.

    Sheet names are matched case-insensitively (Excel forbids ':' in them, so ``SHEET:COLUMN`` is
    unambiguous); two declarations for the same sheet and column with different units are an error.
    """
    if isinstance(spec, str):
        spec = [spec]
    pairs: list[tuple[str, Any, str]] = []
    if isinstance(spec, Mapping):
        pairs = [(str(k), v, f"{k}={v}") for k, v in spec.items()]
    else:
        for item in spec:
            if not isinstance(item, str) or "=" not in item:
                raise InputError(f"unit declaration {item!r}: expected SHEET=UNIT or SHEET:COLUMN=UNIT "
                                 f"(e.g. NLP=fraction, '*=percent')")
            target, _, unit = item.rpartition("=")
            pairs.append((target, unit, item))
    sheets = {s.lower(): s for s in _sheet_names()}
    out: dict[tuple[str, str | None], UnitDeclaration] = {}
    for target, unit, text in pairs:
        where = f"unit declaration {text!r}: "
        if not isinstance(unit, str) or unit.strip().lower() not in SHEET_CELL_UNITS:
            raise InputError(f"{where}the unit of a sheet's percent-scale cells is one of "
                             f"{', '.join(SHEET_CELL_UNITS)} (other cells — dB, MOS, MS-SSIM, distances — "
                             f"are always in the sheet's own units)")
        sheet, sep, column = target.partition(":")
        sheet, column = sheet.strip(), (column.strip() if sep else None)
        if sheet != "*" and sheet.lower() not in sheets:
            raise InputError(f"{where}unknown sheet {sheet!r}; use '*' or one of {', '.join(sheets.values())}")
        if column == "":
            raise InputError(f"{where}empty column name after ':'")
        d = UnitDeclaration(sheets.get(sheet.lower(), "*"), column, unit.strip().lower())
        key = (d.sheet, None if column is None else column.lower())
        if key in out and out[key].unit != d.unit:
            raise InputError(f"unit declarations {out[key].text!r} and {d.text!r} contradict each other")
        out[key] = d
    return list(out.values())


def sheet_units(declarations: Iterable[UnitDeclaration], column: str) -> dict[str, UnitDeclaration]:
    """The declaration that applies to each sheet for the model ``column`` (sheets without one are absent)."""
    col = column.strip().lower()
    applicable = [d for d in declarations if d.column is None or d.column.strip().lower() == col]
    out: dict[str, UnitDeclaration] = {}
    for sheet in _sheet_names():
        best = max((d for d in applicable if d.sheet in ("*", sheet)), key=UnitDeclaration.rank, default=None)
        if best is not None:
            out[sheet] = best
    return out
