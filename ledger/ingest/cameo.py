"""CAMEO event codes: code -> description, from the bundled `ledger/data/cameo_codes.tsv`.

Codes are strings and keep their leading zeros (`"016"`, `"0332"`): `16` and `"016"` are not the
same code. Root codes have two digits, base codes three, leaf codes four.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from types import MappingProxyType
from typing import Mapping

#: GDELT's QuadClass values (GDELT 2.0 event codebook).
QUAD_CLASSES: Mapping[str, str] = MappingProxyType(
    {
        "1": "Verbal Cooperation",
        "2": "Material Cooperation",
        "3": "Verbal Conflict",
        "4": "Material Conflict",
    }
)

_UNSPECIFIED = (", not specified below", " not specified below", ", not spec below")


@lru_cache(maxsize=1)
def cameo_codes() -> Mapping[str, str]:
    """Every CAMEO code in the bundled codebook, in codebook order (read once, then cached)."""
    text = (files("ledger") / "data" / "cameo_codes.tsv").read_text(encoding="utf-8")
    codes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        code, sep, description = line.partition("\t")
        if not sep or not code.isdigit() or not description.strip():
            raise ValueError(f"cameo_codes.tsv line {number}: expected 'code<TAB>description'")
        codes[code] = description.strip()
    return MappingProxyType(codes)


def describe(code: str) -> str | None:
    """The codebook description of a CAMEO code, or None when the code is unknown."""
    return cameo_codes().get(code.strip())


def short_description(code: str) -> str | None:
    """The description without the codebook's "not specified below" qualifier, for prose."""
    description = describe(code)
    if description is None:
        return None
    for suffix in _UNSPECIFIED:
        if description.endswith(suffix):
            return description[: -len(suffix)]
    return description

