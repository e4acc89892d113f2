"""20 Newsgroups figures: documents with their words highlighted by explanation weight.

A weight > 0 (blue) supports the panel's positive class, < 0 (orange) its negative class;
opacity is |w| / max|w| over the panel's words (paper Figs. 5, 10 and 13). The same
highlighting is written as HTML (like the reference's notebook) and drawn with matplotlib
(PNG + vector PDF) in a monospace font, so that every character has a known position.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle

from rrr.plots import NEGATIVE, PAPER_MARKER, PALETTE, POSITIVE, save_figure

WORD = re.compile(r"\w+")  # LIME's text tokens; TF-IDF's (2+ characters) are a subset
CHUNK = re.compile(r"\S+")


@dataclass
class Panel:
    """One explanation of a document: a title and {word: weight} (> 0 supports ``positive``)."""

    title: str
    weights: Mapping[str, float]
    positive: str
    negative: str


@dataclass
class Document:
    """A document, a one-line heading and the explanations to show side by side."""

    text: str
    heading: str
    panels: Sequence[Panel]


def clean_text(text: str) -> str:
    """Tabs as spaces, no carriage returns or control characters (one character stays one column)."""
    text = text.replace("\r", "").expandtabs(4)
    return "".join(c if c.isprintable() or c == "\n" else " " for c in text)


def opacities(weights: Mapping[str, float], words: set[str] | None = None) -> dict[str, float]:
    """|w| / max|w| for each word (restricted to ``words`` when given)."""
    shown = {w: v for w, v in weights.items() if words is None or w in words}
    peak = max((abs(v) for v in shown.values()), default=0.0)
    return {w: abs(v) / peak if peak > 0 else 0.0 for w, v in shown.items()}


def _css(color: Sequence[float], alpha: float) -> str:
    r, g, b = (round(255 * c) for c in color[:3])
    return f"rgba({r},{g},{b},{alpha:.3f})"


def highlight_html(text: str, weights: Mapping[str, float]) -> str:
    """The document as escaped HTML with each weighted word on a blue/orange background."""
    text = clean_text(text)
    alpha = opacities(weights, set(WORD.findall(text)))
    out, last = [], 0
    for m in WORD.finditer(text):
        word = m.group()
        out.append(html.escape(text[last : m.start()]))
        if word in alpha and alpha[word] > 0:
            color = POSITIVE if weights[word] > 0 else NEGATIVE
            out.append(
                f'<span style="background:{_css(color, alpha[word])}" '
                f'title="{weights[word]:+.3g}">{html.escape(word)}</span>'
            )
        else:
            out.append(html.escape(word))
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _legend_html(panel: Panel) -> str:
    chips = [(POSITIVE, panel.positive), (NEGATIVE, panel.negative)]
    return " ".join(
        f'<span style="background:{_css(c, 0.8)};padding:1px 4px">+{html.escape(n)}</span>' for c, n in chips
    )


def explanations_html(documents: Sequence[Document], title: str, caption: str) -> str:
    """A standalone HTML page: per document, its explanations side by side."""
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>",
        "body{font-family:sans-serif;max-width:1400px;margin:auto}",
        ".row{display:flex;gap:2%}.col{flex:1;min-width:0}",
        "pre{white-space:pre-wrap;font-size:12px;line-height:1.45}",
        "</style></head><body>",
        f"<h2>{html.escape(title)}</h2><p>{html.escape(caption)}</p>",
    ]
    for doc in documents:
        parts.append(f"<h3>{html.escape(doc.heading)}</h3><div class='row'>")
        for panel in doc.panels:
            parts.append(
                f"<div class='col'><p><b>{html.escape(panel.title)}</b> {_legend_html(panel)}</p>"
                f"<pre>{highlight_html(doc.text, panel.weights)}</pre></div>"
            )
        parts.append("</div><hr>")
    parts.append("</body></html>")
    return "\n".join(parts)


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap at spaces (a word longer than ``width`` is cut); words stay whole."""
    lines: list[str] = []
    for raw in text.split("\n"):
        start = 0
        while len(raw) - start > width:
            cut = raw.rfind(" ", start, start + width + 1)
            if cut <= start:
                cut = start + width
            lines.append(raw[start:cut])
            start = cut + 1 if raw[cut] == " " else cut
        lines.append(raw[start:])
    return lines


def char_advance(fontsize: float, family: str = "monospace") -> float:
    """Width in points of one character of the monospace font.

    Measured by the Agg renderer at a high resolution, where pixel hinting no longer rounds
    the advance (the PDF backend uses the exact advance).
    """
    dpi = 7200
    renderer = RendererAgg(10, 10, dpi)
    width, _, _ = renderer.get_text_width_height_descent("M" * 200, FontProperties(family=family, size=fontsize), False)
    return width / 200 * 72 / dpi


def draw_documents(
    documents: Sequence[Document], *, width: int = 78, fontsize: float = 7.0, gap: float = 22.0
) -> plt.Figure:
    """Documents as highlighted text, panels side by side, one document under the other.

    Everything is laid out in points on one borderless axes, so the highlight rectangles sit
    exactly under their words in both the PNG and the PDF.
    """
    advance = char_advance(fontsize)
    line = 1.35 * fontsize
    column = width * advance
    n_cols = max(len(d.panels) for d in documents)
    wrapped = [wrap(clean_text(d.text), width) for d in documents]
    heights = [(3 + len(w)) * line + gap for w in wrapped]
    total_w, total_h = n_cols * column + (n_cols - 1) * gap, sum(heights)

    fig = plt.figure(figsize=(total_w / 72, total_h / 72))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, total_w)
    ax.set_ylim(-total_h, 0)
    ax.axis("off")
    mono = {"family": "monospace", "fontsize": fontsize, "parse_math": False}
    top = 0.0
    for doc, lines, height in zip(documents, wrapped, heights):
        ax.text(0, top - 0.5 * line, doc.heading, fontsize=fontsize + 1.5, weight="bold", va="center", parse_math=False)
        for j, panel in enumerate(doc.panels):
            x0 = j * (column + gap)
            _draw_panel_header(ax, panel, x0, top - 1.9 * line, fontsize)
            alpha = opacities(panel.weights, set(WORD.findall(clean_text(doc.text))))
            for row, content in enumerate(lines):
                y = top - (3 + row + 0.5) * line
                for m in WORD.finditer(content):
                    a = alpha.get(m.group(), 0.0)
                    if a > 0:
                        color = POSITIVE if panel.weights[m.group()] > 0 else NEGATIVE
                        ax.add_patch(
                            Rectangle(
                                (x0 + m.start() * advance, y - line / 2),
                                len(m.group()) * advance,
                                line,
                                facecolor=color,
                                alpha=a,
                                linewidth=0,
                            )
                        )
                for chunk in CHUNK.finditer(content):  # anchored per chunk: no drift along the line
                    ax.text(x0 + chunk.start() * advance, y, chunk.group(), va="center", **mono)
        ax.axhline(top - height + gap / 2, color="0.8", linewidth=0.6)
        top -= height
    return fig


def save_documents(fig: plt.Figure, png: str, pdf: str) -> None:
    """:func:`rrr.plots.save_figure` without font hinting, so that glyphs advance exactly as
    :func:`draw_documents` laid them out (hinting rounds each advance to whole pixels)."""
    with plt.rc_context({"text.hinting": "none"}):
        save_figure(fig, png, pdf)


def _draw_panel_header(ax: plt.Axes, panel: Panel, x: float, y: float, fontsize: float) -> None:
    title = ax.text(x, y, panel.title, fontsize=fontsize + 1, weight="bold", va="center", parse_math=False)
    chips = [(POSITIVE, f"+{panel.positive}"), (NEGATIVE, f"+{panel.negative}")]
    previous = title
    for color, label in chips:
        previous = ax.annotate(
            label,
            xy=(1, 0.5),
            xycoords=previous,
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=fontsize,
            bbox={"boxstyle": "square,pad=0.2", "facecolor": color, "alpha": 0.8, "linewidth": 0},
        )


def draw_fae_words(
    ax: plt.Axes,
    columns: Sequence[tuple[str, list[tuple[str, float]], list[tuple[str, float]]]],
    *,
    positive: str,
    negative: str,
    fontsize: float = 8.0,
) -> None:
    """Find-another-explanation word table: one column per model θ_i.

    Each column is (title, words supporting ``positive``, words supporting ``negative``),
    words as (word, weight) with weight > 0 toward ``positive``; opacity is |w| / max|w|
    within the column.
    """
    ax.axis("off")
    n = len(columns)
    step = 1.45 * fontsize
    for i, (title, pos, neg) in enumerate(columns):
        x = (i + 0.5) / n
        ax.annotate(
            title, (x, 1), xycoords="axes fraction", ha="center", va="top", fontsize=fontsize + 1, parse_math=False
        )
        peak = max((abs(w) for _, w in pos + neg), default=1.0) or 1.0
        k = 2
        for words, color in ((pos, POSITIVE), (neg, NEGATIVE)):
            for word, weight in words:
                ax.annotate(
                    word,
                    (x, 1),
                    xycoords="axes fraction",
                    xytext=(0, -k * step),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize=fontsize,
                    parse_math=False,
                    bbox={
                        "boxstyle": "square,pad=0.15",
                        "facecolor": color,
                        "alpha": abs(weight) / peak,
                        "linewidth": 0,
                    },
                )
                k += 1
            if color is POSITIVE:
                ax.annotate(
                    "—",
                    (x, 1),
                    xycoords="axes fraction",
                    xytext=(0, -k * step),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize=fontsize,
                    color="0.5",
                )
                k += 1
    handles = [Rectangle((0, 0), 1, 1, facecolor=c, alpha=0.8) for c in (POSITIVE, NEGATIVE)]
    ax.legend(
        handles,
        [f"supports {positive}", f"supports {negative}"],
        loc="lower center",
        bbox_to_anchor=(0.5, 1.02),
        ncol=2,
        frameon=False,
        fontsize=fontsize,
    )


def draw_fae_accuracy(
    ax: plt.Axes,
    train: np.ndarray,
    test: np.ndarray,
    paper_test_theta0: float | None = None,
) -> None:
    """Train (triangles) and test (circles) accuracy per round: mean ± sd over seeds, seeds faint.

    ``train`` and ``test`` have shape (rounds, seeds).
    """
    rounds = np.arange(train.shape[0])
    for values, marker, color, label in ((train, "^", PALETTE[2], "train"), (test, "o", PALETTE[0], "test")):
        ax.plot(rounds, values, color=color, alpha=0.25, linewidth=0.8)
        sd = values.std(axis=1, ddof=1) if values.shape[1] > 1 else np.zeros(len(rounds))
        ax.errorbar(
            rounds,
            values.mean(axis=1),
            yerr=sd,
            marker=marker,
            color=color,
            capsize=3,
            label=f"{label} (mean ± sd, {values.shape[1]} seeds)",
        )
    if paper_test_theta0 is not None:
        ax.scatter([0], [paper_test_theta0], s=40, label="paper: θ0 test accuracy", **PAPER_MARKER)
    ax.axhline(1, linestyle="--", color="0.5", linewidth=0.8)
    ax.set_xticks(rounds, [f"θ{i}" for i in rounds])
    ax.set_xlim(-0.5, rounds[-1] + 0.5)
    ax.set_ylim(0.4, 1.05)
    ax.set_xlabel("find-another-explanation iteration")
    ax.set_ylabel("accuracy")
    ax.legend(loc="lower left", fontsize=8)
