"""The timeline picture: world time across, ledger time down, one row per position of the claim.

Each row is the claim as the ledger knew it after that position: a band of its status over
world time (coloured, and hatched and labelled so it reads without colour; pale where the
status is tentative), and the event recorded there as a bar over its occurred interval at its
written precision (hatched: before its end it may not have happened yet). Corrections show the
target's interval before (dashed) and after, with an arrow; voids cross the voided interval.

matplotlib is imported only here, and only when a picture is asked for: every other command
stays as fast to start as it was. The figure is drawn on its own canvas (no pyplot, no global
state), and the SVG carries its glyphs as paths, so it needs no font or URL to display.
"""

from __future__ import annotations

import io
from typing import Any

from ledger.domain.time import US_PER_DAY, describe_instant, describe_interval

#: Status -> (fill colour, hatch); the hatch and the printed label carry it without colour.
STYLE: dict[str | None, tuple[str, str]] = {
    "confirmed": ("#1b9e77", "++"),
    "refuted": ("#d95f02", "**"),
    "unasserted": ("#bdbdbd", ""),
    "retracted": ("#7570b3", "--"),
    "disputed": ("#e7298a", "xx"),
    "corroborated": ("#66a61e", ".."),
    "asserted": ("#1f78b4", "oo"),
    "reported": ("#e6ab02", "||"),
}
_ERRATA = ("RecordCorrected", "RecordVoided")
#: An event's bar: white, hatched, outlined, so it reads over any band and in grey print.
_BAR = {"facecolor": "white", "edgecolor": "#222222", "hatch": "////", "linewidth": 0.8}


def draw(model: dict[str, Any], answer: dict[str, Any], basis_text: str, fmt: str) -> bytes:
    """SVG or PNG bytes of the picture of `model` (see explain.picture_rows)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    rows = model["rows"]
    lo, hi = _world_range(rows)
    n = len(rows)
    fig = Figure(figsize=(11, 2.6 + 0.5 * n), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    x = _days
    for i, row in enumerate(rows):
        above = {(b[0], b[1], b[2]) for b in rows[i - 1]["bands"]} if i else set()
        bands = row["bands"]
        for k, (t, status, tentative) in enumerate(bands):
            end = bands[k + 1][0] if k + 1 < len(bands) else hi
            start, stop = max(t, lo), min(end, hi)
            if stop <= start:
                continue
            colour, hatch = STYLE.get(status, ("#ffffff", ""))
            ax.add_patch(Rectangle(
                (x(start), i - 0.5), x(stop) - x(start), 1.0, facecolor=colour,
                alpha=0.22 if tentative else 0.5, hatch=hatch, edgecolor="#555555",
                linewidth=0,
            ))
            label = f"{status}{' (tentative)' if tentative else ''}"
            if (t, status, tentative) not in above and stop - start > (hi - lo) * _chars(label):
                ax.text(x(start) + (x(hi) - x(lo)) * 0.004, i + 0.32, label, fontsize=7,
                        va="center", ha="left", color="#222222",
                        bbox={"facecolor": "white", "alpha": 0.75, "pad": 1, "linewidth": 0})
        _draw_event(ax, row, i, lo, hi, Rectangle)
    ax.set_xlim(x(lo), x(hi))
    ax.set_ylim(n - 0.5, -0.5)  # ledger time runs down
    ax.set_yticks(range(n))
    ax.set_yticklabels(
        [f"@{r['position']}  {describe_instant(r['recorded_at'])[:19].replace('T', ' ')}"
         for r in rows], fontsize=7,
    )
    ax.set_ylabel("ledger time: the claim as known\nafter each position (recorded, UTC)",
                  fontsize=8)
    ax.set_xlabel("world time (occurred, UTC)")
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="#999999", linewidth=0.4, alpha=0.6)
    shown = "" if model["total"] == n else f" (latest {n} of {model['total']} positions)"
    basis = answer["basis"]
    ax.set_title(
        f"{answer['claim_id']}{shown}\n"
        f"basis: {basis_text}, head hash {basis['head_hash'][:16]}...", fontsize=9, loc="left",
    )
    seen = {b[1] for r in rows for b in r["bands"]}
    handles = [
        Patch(facecolor=STYLE[s][0], alpha=0.5, hatch=STYLE[s][1], edgecolor="#555555",
              label=s)
        for s in STYLE if s in seen
    ]
    handles += [
        Patch(facecolor="#999999", alpha=0.22, edgecolor="#555555",
              label="pale band: status tentative"),
        Patch(**_BAR, label="event over its occurred interval (may not have happened yet)"),
    ]
    kinds = {r["type"] for r in rows}
    if "RecordCorrected" in kinds:
        handles.append(Patch(facecolor="white", edgecolor="#333333", linestyle="--",
                             label="corrected: its interval before"))
    if "RecordVoided" in kinds:
        handles.append(Patch(facecolor="white", edgecolor="#c00000", hatch="xx",
                             label="voided: the interval it had"))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), fontsize=7,
               frameon=False)
    fig.subplots_adjust(left=0.16, right=0.98, top=1 - 0.55 / fig.get_figheight(),
                        bottom=1.0 / fig.get_figheight())
    out = io.BytesIO()
    # No creation date or random ids: the same ledger draws the same bytes.
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "ledger", "svg.fonttype": "path"}):
        fig.savefig(out, format=fmt, metadata=metadata)
    return out.getvalue()


def _draw_event(ax: Any, row: dict[str, Any], i: int, lo: int, hi: int, Rectangle: Any) -> None:
    x = _days
    minimum = (hi - lo) * 0.003  # an instant still shows as a sliver
    if row["type"] in _ERRATA:
        before, after = row["before"], row["after"]
        if before is not None:
            b0, b1 = _clip(before, lo, hi, minimum)
            ax.add_patch(Rectangle(
                (x(b0), i - 0.12), x(b1) - x(b0), 0.24, facecolor="white",
                edgecolor="#c00000" if after is None else "#333333",
                linestyle="-" if after is None else "--", linewidth=1.0,
                hatch="xx" if after is None else None,
            ))
        if after is not None:
            a0, a1 = _clip(after, lo, hi, minimum)
            ax.add_patch(Rectangle((x(a0), i - 0.12), x(a1) - x(a0), 0.24, **_BAR))
            if before is not None and before != after:
                ax.annotate("", xy=(x(a0), i), xytext=(x(before[0]), i),
                            arrowprops={"arrowstyle": "->", "color": "#333333", "lw": 1.0})
        verb = "voided" if after is None else "corrected"
        where = before if after is None else after
        text = f"{row['label']} ({verb}"
        if after is not None and before is not None:
            text += f": {describe_interval(*before)} -> {describe_interval(*after)}"
        text += ")"
        _note(ax, text, min(max(where[0] if where else lo, lo), hi), i, lo, hi)
        return
    if row["interval"] is None:
        # An actor event: a fact about names, with no place in world time.
        _note(ax, f"{row['type']}: {row['label']}", lo, i, lo, hi)
        return
    f0, f1 = _clip(row["interval"], lo, hi, minimum)
    ax.add_patch(Rectangle((x(f0), i - 0.12), x(f1) - x(f0), 0.24, **_BAR))
    text = f"{row['type']}: {row['label']}  [{describe_interval(*row['interval'])}]"
    _note(ax, text, f0, i, lo, hi)


def _chars(text: str) -> float:
    """The share of the plot's width a 7-point label takes (about 130 characters across)."""
    return (len(text) + 2) / 130


def _note(ax: Any, text: str, at: int, i: int, lo: int, hi: int) -> None:
    # Above the bar, from its start; a label that would run out of the plot ends there instead.
    text = text if len(text) <= 90 else text[:87] + "..."
    fits = (at - lo) / (hi - lo) + _chars(text) <= 1
    ax.text(_days(at if fits else hi), i - 0.3, text,
            fontsize=7, va="center", ha="left" if fits else "right", clip_on=True,
            bbox={"facecolor": "white", "alpha": 0.8, "pad": 0.5, "linewidth": 0})


def _clip(interval: tuple[int, int], lo: int, hi: int, minimum: float) -> tuple[int, int]:
    start, end = max(interval[0], lo), min(interval[1], hi)
    if end - start < minimum:
        end = int(start + minimum)
    return start, end


def _world_range(rows: list[dict[str, Any]]) -> tuple[int, int]:
    """The world-time span to draw: every event, with a margin; a very long open end (an
    event written to a year, a far occurred_to) is cut a while after the last start."""
    starts: list[int] = []
    ends: list[int] = []
    for row in rows:
        for span in (row["interval"], row["before"], row["after"]):
            if span is not None and not (row["type"] in _ERRATA and span == row["interval"]):
                starts.append(span[0])
                ends.append(span[1])
    if not starts:
        starts, ends = [0], [US_PER_DAY]
    lo, last = min(starts), max(starts)
    hi = min(max(ends), last + max(4 * (last - lo), 60 * US_PER_DAY))
    margin = max((hi - lo) // 20, US_PER_DAY // 2)
    return lo - margin, hi + margin * 3


def _days(us: float) -> float:
    """matplotlib's date number: days since 1970-01-01, its default epoch."""
    return us / US_PER_DAY
