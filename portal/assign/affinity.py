"""Affinity of reviewer-submission pairs: the bid, the topics in common and the text similarity (TF-IDF
cosine between the paper's title and abstract and the reviewer's statement and own papers). Pure: numbers
in, numbers out, no Flask.

Everything is computed with matrix products, a block of papers at a time, so no papers x reviewers matrix is
ever held whole. A small workshop gives the solver every pair; a larger one each paper's K best reviewers (a
bid counts in the affinity, so eager bidders rank first; a "not willing" pair only when nothing else is left;
a conflicted pair never). Only those pairs leave as ``Edges``, parallel arrays the solver takes as they are.
The reason shown to the chair is read off those arrays for the pairs the solver picks.

From ``APPROXIMATE_PAIRS`` pairs on (a conference, not a workshop) the exact text similarity of every pair
costs more than everything else together, so the K best are *chosen* with an approximate one: the TF-IDF
vectors projected on their ``TEXT_DIMENSIONS`` main directions (a truncated SVD), with the topics and bids
exact. The candidates' affinities are then computed exactly (not approximated), so only the choice of
candidates is approximate: at NeurIPS size the assignment's total affinity is 0.03 % below that of each
paper's 50 best chosen exactly (``python -m bench.bench_assign --compare-exact`` prints both).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle  # only between this process and its own helper  # nosec B403
import select
import subprocess  # the TF-IDF helper: this interpreter, an argument list, no shell  # nosec B404
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from portal.assign import arrays, text
from portal.assign.solver import Candidate, Graph
from portal.assign.text import tfidf as _tfidf

if TYPE_CHECKING:
    from scipy import sparse

log = logging.getLogger(__name__)

BID_SCORES = {"eager": 1.0, "willing": 0.5, "in_a_pinch": -0.5, "not_willing": 0.0}
# A bid in the arrays is the index of its value here; -1 is no bid.
BID_VALUES = tuple(BID_SCORES)
NOT_WILLING = BID_VALUES.index("not_willing")

# Above this many pairs the text similarity splits the vocabulary: the most common words, which most pairs
# share, as a dense matrix product, the rest sparse. The sum is the same cosine up to float rounding; below
# it, the plain sparse product (bit for bit what small workshops always had).
SPLIT_PAIRS = 4_000_000
# What one multiply-add of the sparse product costs, in floating-point operations of the dense one (about
# 2,000 with SciPy and OpenBLAS on a 2-core x86-64 VM; it only moves the split point, never the result).
SPARSE_COST = 2000.0
# A workshop of up to this many pairs gives the solver every pair; a larger one the TOP_K best per paper.
ALL_PAIRS_UP_TO = 2_000_000
TOP_K = 50
# From this many pairs (a conference) the K best are chosen with an approximate text similarity of this many
# dimensions, and K is CONFERENCE_TOP_K: five times the usual three reviews. At NeurIPS size (21,575 x 20,518)
# K = 24 gave an assignment of 0.025 % more total affinity than 16, and 50 (exact) 0.03 %, each for about half
# a second more of 10.
APPROXIMATE_PAIRS = 50_000_000
TEXT_DIMENSIONS = 48
CONFERENCE_TOP_K = 16
# From this many texts (papers and reviewers) the TF-IDF is computed in a helper process while the caller reads
# bids and conflicts: splitting text into words is pure Python, seconds at conference size on one core.
BACKGROUND_TEXTS = 10_000
# The helper's memory: no transparent huge pages for NumPy's arrays, and freed memory kept for the next array
# instead of returned to the system. Its arrays live a moment each and every first touch of a page is a fault,
# costly in a virtual machine (a huge page is 2 MB zeroed): at NeurIPS size the helper's CPU time fell from
# 3.8 s to 3.2 s, its system time from 1.4 s to 0.6 s. (This process's own arrays do better with huge pages.)
HELPER_MEMORY = {"NUMPY_MADVISE_HUGEPAGE": "0", "MALLOC_MMAP_THRESHOLD_": str(1 << 30), "MALLOC_TRIM_THRESHOLD_": str(1 << 32)}
# Subtracted from a "not willing" pair's affinity while the K best are chosen: it ranks below every other.
NOT_WILLING_RANK = 1000.0
# The floats of one block of papers x all reviewers: the block's rows are chosen to stay near this.
BLOCK_CELLS = 12_000_000


@dataclass
class Weights:
    bid: float = 1.0
    topics: float = 1.0
    text: float = 1.0


@dataclass
class PaperInfo:
    id: int
    text: str
    topics: set[int]


@dataclass
class ReviewerInfo:
    id: int
    text: str
    topics: set[int]


@dataclass
class Reason:
    """Why a pair scores what it does: shown to the chair beside each proposed reviewer."""

    affinity: float
    bid: str | None
    common_topics: int
    paper_topics: int
    text_similarity: float


@dataclass
class Scored:
    candidates: list[Candidate]
    reasons: dict[tuple[int, int], Reason] = field(default_factory=dict)


@dataclass
class PairArrays:
    """(paper id, reviewer id) pairs as two arrays, with a value per pair for bids (an index of BID_VALUES)."""

    paper: np.ndarray
    reviewer: np.ndarray
    value: np.ndarray | None = None

    @classmethod
    def of(cls, pairs: dict[tuple[int, int], str] | set[tuple[int, int]]) -> PairArrays:
        keys = list(pairs)
        paper = np.array([p for p, _ in keys], dtype=np.int64)
        reviewer = np.array([r for _, r in keys], dtype=np.int64)
        if isinstance(pairs, dict):
            codes = [BID_VALUES.index(v) if v in BID_SCORES else -1 for v in pairs.values()]
            return cls(paper, reviewer, np.array(codes, dtype=np.int8))
        return cls(paper, reviewer)


@dataclass
class Edges(Graph):
    """The candidate pairs, paper by paper (in the order of the papers scored; within a paper by reviewer when
    every pair is kept, by affinity when the K best are), with what explains their affinity."""

    bid: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))  # index of BID_VALUES, -1: none
    common_topics: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    paper_topics: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    text: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    top_k: int | None = None  # the K best per paper were kept (None: every pair)
    approximate: bool = False  # the K best were chosen by an approximate text similarity

    def reason(self, i: int) -> Reason:
        bid = int(self.bid[i])
        return Reason(
            affinity=float(self.affinity[i]),
            bid=BID_VALUES[bid] if bid >= 0 else None,
            common_topics=int(self.common_topics[i]),
            paper_topics=int(self.paper_topics[i]),
            text_similarity=float(self.text[i]),
        )

    def reasons_for(self, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], Reason]:
        """The reasons of those of these pairs that are candidates."""
        if not pairs or not len(self.paper):
            return {}
        # One number per pair (ids are database keys, far below 2**31), sorted, then a binary search.
        width = int(max(self.reviewer.max(), max(r for _, r in pairs))) + 1
        keys = self.paper * width + self.reviewer
        order = np.arange(len(keys)) if np.all(keys[1:] > keys[:-1]) else np.argsort(keys, kind="stable")
        wanted = np.array([p * width + r for p, r in pairs], dtype=np.int64)
        at = np.minimum(np.searchsorted(keys[order], wanted), len(keys) - 1)
        hit = keys[order][at] == wanted
        found = order[at[hit]]
        # Each column gathered once and made Python numbers at once (reading element by element costs
        # microseconds each: a second for a conference's 65,000 pairs).
        columns = zip(
            self.affinity[found].tolist(),
            self.bid[found].tolist(),
            self.common_topics[found].tolist(),
            self.paper_topics[found].tolist(),
            self.text[found].tolist(),
            strict=True,
        )
        return {
            pair: Reason(affinity=a, bid=BID_VALUES[b] if b >= 0 else None, common_topics=c, paper_topics=t, text_similarity=x)
            for pair, (a, b, c, t, x) in zip((q for q, ok in zip(pairs, hit.tolist(), strict=True) if ok), columns, strict=True)
        }

    def candidates(self) -> list[Candidate]:
        columns = (self.paper.tolist(), self.reviewer.tolist(), self.affinity.tolist(), self.not_willing.tolist())
        return [Candidate(p, r, a, nw) for p, r, a, nw in zip(*columns, strict=True)]


def automatic_top_k(papers: int, reviewers: int) -> int | None:
    """The K best candidates per paper to keep, or None (all) when the workshop is small."""
    if papers * reviewers <= ALL_PAIRS_UP_TO:
        return None
    return CONFERENCE_TOP_K if papers * reviewers > APPROXIMATE_PAIRS else TOP_K


def approximates(papers: int, reviewers: int, top_k: int | None) -> bool:
    """Whether ``score_edges`` chooses each paper's ``top_k`` best by an approximate text similarity (on the
    texts' ``TEXT_DIMENSIONS`` main directions: ``TextVectors.basis``)."""
    return top_k is not None and top_k < reviewers and papers * reviewers > APPROXIMATE_PAIRS


def score(
    papers: list[PaperInfo],
    reviewers: list[ReviewerInfo],
    bids: dict[tuple[int, int], str],
    conflicts: set[tuple[int, int]],
    weights: Weights,
    *,
    top_k: int | None = None,
    chunk: int | None = None,
) -> Scored:
    """Candidate pairs (conflicts left out) with their affinity and the reason for it, as objects: for small
    instances and tests; ``score_edges`` is the same computation for any size."""
    edges = score_edges(papers, reviewers, PairArrays.of(bids), PairArrays.of(conflicts), weights, top_k=top_k, chunk=chunk)
    candidates = edges.candidates()
    return Scored(candidates, {(c.paper, c.reviewer): edges.reason(i) for i, c in enumerate(candidates)})


def score_edges(
    papers: list[PaperInfo],
    reviewers: list[ReviewerInfo],
    bids: PairArrays,
    conflicts: PairArrays,
    weights: Weights,
    *,
    top_k: int | None = None,
    chunk: int | None = None,
    vectors: TextVectors | None = None,
    least: dict[int, int] | None = None,
) -> Edges:
    """Candidate pairs as arrays: per paper the ``top_k`` reviewers of highest affinity (all when None; "not
    willing" ones only when no other is left), never a conflicted pair. Bids and conflicts naming an unknown
    paper or reviewer are ignored. ``vectors``: the TF-IDF rows of the papers' then the reviewers' texts, being
    computed (in a helper process: waited for only once everything else is ready). ``least``: reviewer id ->
    how many willing candidates they should have at least (for a minimum load); a reviewer whom too few papers
    chose gets their own best papers added, scored exactly."""
    n_papers, n_reviewers = len(papers), len(reviewers)
    if not n_papers or not n_reviewers:
        return Edges(*(np.zeros(0, t) for t in (np.int64, np.int64, np.float32, bool)))
    paper_ids = np.array([p.id for p in papers], dtype=np.int64)
    reviewer_ids = np.array([r.id for r in reviewers], dtype=np.int64)
    chunk = chunk or max(1, BLOCK_CELLS // n_reviewers)
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be at least 1, not {top_k}")
    keep_all = top_k is None or top_k >= n_reviewers
    approximate = approximates(n_papers, n_reviewers, top_k)

    topic_ids = sorted({t for p in papers for t in p.topics} | {t for r in reviewers for t in r.topics})
    column = {t: i for i, t in enumerate(topic_ids)}
    paper_topics = _one_hot([p.topics for p in papers], column)
    reviewer_topics = np.ascontiguousarray(_one_hot([r.topics for r in reviewers], column).T)
    paper_topic_count = paper_topics.sum(axis=1)  # float32, as the overlap's denominator

    # Bids and conflicts as sorted cell numbers (paper index * reviewers + reviewer index).
    bid_cells, bid_codes = _cells(bids, paper_ids, reviewer_ids)
    points = np.array([BID_SCORES[v] for v in BID_VALUES] + [0.0], dtype=np.float32)  # the last: no bid
    bid_points = points[bid_codes.astype(np.intp)]
    conflict_cells, _ = _cells(conflicts, paper_ids, reviewer_ids)
    if vectors is None:
        vectors = TextVectors(0)  # (fewer texts than any threshold: all in this process, nothing to close)
        vectors.add([p.text for p in papers] + [r.text for r in reviewers])
    texts = vectors.result()

    def with_reviewers_best(edges: Edges) -> Edges:
        """``edges`` with the own best papers of the reviewers they leave short of ``least``."""
        return _reviewers_best(
            edges,
            least,
            texts,
            paper_topics,
            paper_topic_count,
            reviewer_topics,
            bid_cells,
            bid_codes,
            conflict_cells,
            weights,
            paper_ids,
            reviewer_ids,
        )

    if approximate:
        # Choose each paper's K best with an approximate text similarity, then compute their affinity exactly.
        # The exact text similarity of a block's candidates is worked out by the TF-IDF helper process, when
        # there is one, while this one scans the next block.
        dots = [
            vectors.pair_dots(n_papers, *np.divmod(cells, n_reviewers))
            for cells in _approximate_best(
                texts,
                vectors.basis(TEXT_DIMENSIONS),
                n_papers,
                paper_topics,
                paper_topic_count,
                reviewer_topics,
                bid_cells,
                bid_points,
                bid_codes,
                conflict_cells,
                weights,
                top_k,
                chunk,
            )
        ]
        similarity = np.concatenate([np.zeros(0, np.float32), *(d() for d in dots)])
        row = np.concatenate([np.zeros(0, np.int64), *(d.row for d in dots)])
        col = np.concatenate([np.zeros(0, np.int64), *(d.col for d in dots)])
        cells = row * n_reviewers + col
        common = np.einsum("ij,ji->i", paper_topics[row], reviewer_topics[:, col])
        code = _lookup(bid_cells, bid_codes, cells)
        affinity = common / np.maximum(paper_topic_count[row], 1)
        if weights.topics != 1.0:
            affinity *= weights.topics
        affinity += weights.bid * points[code.astype(np.intp)]
        affinity += similarity if weights.text == 1.0 else weights.text * similarity
        edges = Edges(
            paper_ids[row],
            reviewer_ids[col],
            affinity,
            code == NOT_WILLING,
            code,
            common.astype(np.int32),
            paper_topic_count[row].astype(np.int32),
            similarity,
            top_k=top_k,
            approximate=True,
        )
        return with_reviewers_best(edges)

    text = _TextSimilarity(texts[:n_papers], texts[n_papers:], split=n_papers * n_reviewers > SPLIT_PAIRS)
    parts: list[tuple[np.ndarray, ...]] = []
    for start in range(0, n_papers, chunk):
        stop = min(start + chunk, n_papers)
        similarity = text.rows(start, stop)
        common = paper_topics[start:stop] @ reviewer_topics
        affinity = common / np.maximum(paper_topic_count[start:stop, None], 1)
        if weights.topics != 1.0:  # (x * 1.0 is x: skipping it changes no bit and saves a pass)
            affinity *= weights.topics
        lo, hi = np.searchsorted(bid_cells, [start * n_reviewers, stop * n_reviewers])
        b_row, b_col = np.divmod(bid_cells[lo:hi] - start * n_reviewers, n_reviewers)
        # weight x bid + weight x overlap, then + weight x text: the order (and so the rounding) of the sum
        # the dense formula had.
        affinity[b_row, b_col] += weights.bid * bid_points[lo:hi]
        affinity += similarity if weights.text == 1.0 else weights.text * similarity
        lo_c, hi_c = np.searchsorted(conflict_cells, [start * n_reviewers, stop * n_reviewers])
        c_row, c_col = np.divmod(conflict_cells[lo_c:hi_c] - start * n_reviewers, n_reviewers)
        # A conflicted reviewer never takes one of the top K places.
        affinity[c_row, c_col] = -np.inf

        if keep_all:
            row, col = np.nonzero(np.isfinite(affinity))
        else:
            # A "not willing" reviewer takes one of the K places only when no other is left.
            nw = bid_codes[lo:hi] == NOT_WILLING
            kept = affinity[b_row[nw], b_col[nw]]
            affinity[b_row[nw], b_col[nw]] = kept - NOT_WILLING_RANK
            row, col = _best(affinity, top_k)
            affinity[b_row[nw], b_col[nw]] = kept
            finite = np.isfinite(affinity[row, col])
            row, col = row[finite], col[finite]
        code = _lookup(bid_cells[lo:hi] - start * n_reviewers, bid_codes[lo:hi], row * n_reviewers + col)
        parts.append(
            (
                paper_ids[row + start],
                reviewer_ids[col],
                affinity[row, col],
                code == NOT_WILLING,
                code,
                common[row, col].astype(np.int32),
                paper_topic_count[row + start].astype(np.int32),
                similarity[row, col],
            )
        )
        del similarity, common, affinity
    edges = Edges(*(np.concatenate(columns) for columns in zip(*parts, strict=True)), top_k=None if keep_all else top_k)
    if keep_all:
        return edges
    return with_reviewers_best(edges)


REVIEWERS_A_BLOCK = 256  # reviewers scored against every paper at once when their own best papers are added


def _reviewers_best(
    edges: Edges,
    least: dict[int, int] | None,
    texts: sparse.csr_matrix,
    paper_topics: np.ndarray,
    paper_topic_count: np.ndarray,
    reviewer_topics: np.ndarray,
    bid_cells: np.ndarray,
    bid_codes: np.ndarray,
    conflict_cells: np.ndarray,
    weights: Weights,
    paper_ids: np.ndarray,
    reviewer_ids: np.ndarray,
) -> Edges:
    """``edges`` with, for each reviewer who has fewer willing candidates than ``least`` asks, their own best
    willing, unconflicted papers up to twice that many (scored exactly, as the exact path scores, over every
    paper)."""
    if not least or not len(reviewer_ids):
        return edges
    n_papers, n_reviewers = len(paper_ids), len(reviewer_ids)
    asked = np.array([least.get(r, 0) for r in reviewer_ids.tolist()], dtype=np.int64)
    col_of = np.searchsorted(reviewer_ids, edges.reviewer[~edges.not_willing])
    have = np.bincount(col_of, minlength=n_reviewers)
    # Those with fewer willing candidates than their minimum get up to twice it, so the solver has a choice.
    short = np.flatnonzero(have < np.minimum(asked, n_papers))
    want = 2 * asked
    if not len(short):
        return edges
    points = np.array([BID_SCORES[v] for v in BID_VALUES] + [0.0], dtype=np.float32)
    # Only the bids, conflicts and candidates of the short reviewers matter: picked out with one pass over each
    # (a few hundred of 20,000 reviewers, against millions of bids), then looked up by a table of their columns.
    is_short = np.zeros(n_reviewers, dtype=bool)
    is_short[short] = True

    def of_short(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        row, col = np.divmod(cells, n_reviewers)
        which = np.flatnonzero(is_short[col])
        return which, row[which], col[which]

    bid_at, bid_row, bid_col = of_short(bid_cells)
    short_codes = bid_codes[bid_at]
    _, con_row, con_col = of_short(conflict_cells)
    edge_col = np.searchsorted(reviewer_ids, edges.reviewer)
    edge_at = np.flatnonzero(is_short[edge_col])
    edge_row, edge_col = np.searchsorted(paper_ids, edges.paper[edge_at]), edge_col[edge_at]
    place = np.full(n_reviewers, -1, dtype=np.int64)  # reviewer column -> its column in the block, or -1
    added: list[tuple[np.ndarray, ...]] = []
    for start in range(0, len(short), REVIEWERS_A_BLOCK):
        cols = short[start : start + REVIEWERS_A_BLOCK]
        place[cols] = np.arange(len(cols))
        similarity = (texts[:n_papers] @ texts[n_papers + cols].T).toarray().astype(np.float32)
        common = paper_topics @ reviewer_topics[:, cols]
        affinity = common / np.maximum(paper_topic_count[:, None], 1)
        if weights.topics != 1.0:
            affinity *= weights.topics
        at = place[bid_col]
        mine = at >= 0
        affinity[bid_row[mine], at[mine]] += weights.bid * points[short_codes[mine].astype(np.intp)]
        affinity += similarity if weights.text == 1.0 else weights.text * similarity
        # Never a conflicted pair, a "not willing" one, or one already a candidate.
        at_c = place[con_col]
        hit = at_c >= 0
        affinity[con_row[hit], at_c[hit]] = -np.inf
        nw = mine & (short_codes == NOT_WILLING)
        affinity[bid_row[nw], at[nw]] = -np.inf
        at_e = place[edge_col]
        known = at_e >= 0
        affinity[edge_row[known], at_e[known]] = -np.inf
        place[cols] = -1
        for j, col in enumerate(cols.tolist()):
            need = int(min(want[col], n_papers) - have[col])
            column = affinity[:, j]
            rows = _largest(column, need)
            rows = rows[np.isfinite(column[rows])]
            code = _lookup(bid_cells, bid_codes, rows * n_reviewers + col)
            added.append(
                (
                    paper_ids[rows],
                    np.full(len(rows), reviewer_ids[col]),
                    column[rows],
                    code == NOT_WILLING,
                    code,
                    common[rows, j].astype(np.int32),
                    paper_topic_count[rows].astype(np.int32),
                    similarity[rows, j],
                )
            )
    if not added:
        return edges
    more = [np.concatenate(c) for c in zip(*added, strict=True)]
    return Edges(
        *(
            np.concatenate([old, new.astype(old.dtype)])
            for old, new in zip(
                (
                    edges.paper,
                    edges.reviewer,
                    edges.affinity,
                    edges.not_willing,
                    edges.bid,
                    edges.common_topics,
                    edges.paper_topics,
                    edges.text,
                ),
                more,
                strict=True,
            )
        ),
        top_k=edges.top_k,
        approximate=edges.approximate,
    )


def _largest(values: np.ndarray, k: int) -> np.ndarray:
    """The positions of the ``k`` largest values, largest first (of equal values, the lower position first):
    ``np.argsort(-values, kind="stable")[:k]``, but sorting only the values at or above the k-th largest (a
    partition finds it), not all of them."""
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    if k >= len(values):
        return np.argsort(-values, kind="stable")
    floor = np.partition(values, len(values) - k)[len(values) - k]
    above = np.flatnonzero(values >= floor)
    return above[np.argsort(-values[above], kind="stable")][:k]


def _lookup(cells: np.ndarray, codes: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The bid code of each wanted cell (-1 where it has none); ``cells`` sorted."""
    if not len(cells):
        return np.full(len(wanted), -1, dtype=np.int8)
    at = np.minimum(np.searchsorted(cells, wanted), len(cells) - 1)
    return np.where(cells[at] == wanted, codes[at], -1).astype(np.int8)


def _approximate_best(
    texts: sparse.csr_matrix,
    basis: np.ndarray,
    n_papers: int,
    paper_topics: np.ndarray,
    paper_topic_count: np.ndarray,
    reviewer_topics: np.ndarray,
    bid_cells: np.ndarray,
    bid_points: np.ndarray,
    bid_codes: np.ndarray,
    conflict_cells: np.ndarray,
    weights: Weights,
    top_k: int,
    chunk: int,
) -> Iterator[np.ndarray]:
    """Block by block of papers, the cells (paper by paper) of each paper's ``top_k`` best reviewers by an affinity whose
    text similarity is that of the TF-IDF vectors projected on their main directions (topics and bids exact).
    One matrix product a block gives the text and topic terms together: [projected paper x text weight, topic
    share x topic weight] times [projected reviewer, reviewer topics]. ``texts``: the papers' TF-IDF rows, then the reviewers';
    ``basis``: their main directions (``TextVectors.basis``)."""
    papers, reviewers = texts[:n_papers], texts[n_papers:]
    share = paper_topics / np.maximum(paper_topic_count, 1)[:, None] * np.float32(weights.topics)
    left = np.hstack([np.asarray(papers @ basis) * np.float32(weights.text), share]).astype(np.float32)
    right = np.ascontiguousarray(np.vstack([np.asarray(reviewers @ basis).T, reviewer_topics]), dtype=np.float32)
    rank = weights.bid * bid_points
    rank[bid_codes == NOT_WILLING] -= NOT_WILLING_RANK
    n_reviewers = right.shape[1]

    def scan(start: int, stop: int, block: np.ndarray) -> np.ndarray:
        flat = block.reshape(-1)
        lo, hi = np.searchsorted(bid_cells, [start * n_reviewers, stop * n_reviewers])
        flat[bid_cells[lo:hi] - start * n_reviewers] += rank[lo:hi]
        lo, hi = np.searchsorted(conflict_cells, [start * n_reviewers, stop * n_reviewers])
        flat[conflict_cells[lo:hi] - start * n_reviewers] = -np.inf
        row, col = _best(block, top_k)
        finite = np.isfinite(block[row, col])
        return (row[finite] + start) * n_reviewers + col[finite]

    # A block is scanned in a thread while the next one's product is computed: NumPy lets go of the GIL in both.
    # The product runs on one BLAS thread: with BLAS's own two threads as well, three busy threads shared two cores
    # (and BLAS's idle threads spin). At NeurIPS size the 37 blocks took 0.9 s one after the other on two BLAS
    # threads, as long scanned in a thread, and 0.65 s scanned in a thread with products on one BLAS thread.
    with (
        threadpool_limits(limits=1, user_api="blas"),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="affinity-scan") as pool,
    ):
        pending: Future[np.ndarray] | None = None
        for start in range(0, left.shape[0], chunk):
            stop = min(start + chunk, left.shape[0])
            scanning = pool.submit(scan, start, stop, left[start:stop] @ right)
            if pending is not None:
                yield pending.result()
            pending = scanning
        if pending is not None:
            yield pending.result()


def _best(affinity: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the columns of the ``k`` largest values (of equal values, the lower columns), as (rows, columns)
    sorted by row. The columns are cut in groups of 16 (column j with j + m, j + 2m, ...: the maximum of a
    group is then an elementwise maximum of 16 slices); the k-th largest of the groups' maxima is a floor no
    top-k value is below, so only the few values above it are sorted."""
    rows, n = affinity.shape
    m = n // 16
    maxima = affinity[:, : 16 * m].reshape(rows, 16, m).max(axis=1)
    if n > 16 * m:
        maxima = np.concatenate([maxima, affinity[:, 16 * m :].max(axis=1, keepdims=True)], axis=1)
    if maxima.shape[1] >= k > 0:
        floor = np.partition(maxima, maxima.shape[1] - k, axis=1)[:, maxima.shape[1] - k]
        row, col = np.divmod(np.flatnonzero(affinity >= floor[:, None]), n)
    else:
        row, col = np.divmod(np.arange(rows * n), n)
    order = np.lexsort((col, -affinity[row, col], row))
    row, col = row[order], col[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row)
    return row[rank < k], col[rank < k]


def _cells(pairs: PairArrays, paper_ids: np.ndarray, reviewer_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted cell numbers of the pairs whose paper and reviewer are both known, and their values (of a pair
    given twice, the lower value)."""
    p, p_ok = _positions(paper_ids, pairs.paper)
    r, r_ok = _positions(reviewer_ids, pairs.reviewer)
    ok = p_ok & r_ok
    values = pairs.value[ok].astype(np.int64) if pairs.value is not None else np.zeros(int(ok.sum()), dtype=np.int64)
    # One sort of (cell, value) packed in an integer: values are -1 to 3.
    key = (p[ok] * len(reviewer_ids) + r[ok]) * 8 + values + 1
    if not np.all(key[1:] >= key[:-1]):  # (bids read in the order of the ids come sorted)
        key = np.sort(key)
    cells, values = key // 8, (key % 8 - 1).astype(np.int8)
    first = np.ones(len(cells), dtype=bool)
    first[1:] = cells[1:] != cells[:-1]
    return cells[first], values[first]


def _positions(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each wanted id sits in ``ids``, and whether it is there at all."""
    if not len(ids):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    low, high = int(ids.min()), int(ids.max())
    if high - low < 4 * len(ids) + 1024 and len(wanted) > len(ids):
        # Database ids are nearly dense: a table from id to position, one lookup a value.
        table = np.full(high - low + 1, -1, dtype=np.int64)
        table[ids - low] = np.arange(len(ids))
        inside = (wanted >= low) & (wanted <= high)
        at = np.where(inside, table[np.clip(wanted - low, 0, high - low)], -1)
        return np.maximum(at, 0), at >= 0
    order = None if np.all(ids[1:] > ids[:-1]) else np.argsort(ids, kind="stable")
    ordered = ids if order is None else ids[order]
    at = np.minimum(np.searchsorted(ordered, wanted), len(ids) - 1)
    found = ordered[at] == wanted
    return (at if order is None else order[at]).astype(np.int64), found


class TextVectors:
    """The TF-IDF rows of texts (``text.tfidf``), and the exact text similarity of candidate pairs, computed in a
    helper process from ``BACKGROUND_TEXTS`` texts on, so that this process reads its other data, and then
    scans for candidates, meanwhile; in this process when there are fewer texts, or when the helper cannot
    start or fails. Create it early (the helper's start-up overlaps the caller's first reads), ``add`` the
    texts as they are read (the helper splits them into words at once), say when they are all in (``finish``),
    take the ``result``, ask for ``pair_dots``; ``close`` it in any case (a ``with`` block does).

    The helper is ``python .../portal/assign/text.py``: a fresh interpreter that imports only NumPy and SciPy,
    neither a fork of a process that may hold threads and connections nor multiprocessing's "spawn", which
    would run the caller's main script again. Data goes through files in a private temporary directory (a
    pipe fed by a thread would fight this process for the GIL); orders and answers are lines on the helper's
    stdin and stdout (see ``text._serve``)."""

    def __init__(self, expected: int, *, dimensions: int = 0) -> None:
        self._dimensions = dimensions  # the main directions the helper works out after the matrix (0: none)
        self._basis: tuple[int, np.ndarray] | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._texts: list[str] = []
        self._matrix: sparse.csr_matrix | None = None
        self._halves: dict[int, tuple[sparse.csr_matrix, sparse.csr_matrix]] = {}
        self._asked: list[str] = []  # pair files sent to the helper and not yet answered, in order
        self._answers: dict[str, np.ndarray] = {}  # answers read before they were asked for
        self._files = count()
        self._finished = False
        if expected >= BACKGROUND_TEXTS:
            try:
                self._folder = tempfile.TemporaryDirectory(prefix="portal-tfidf-")
                # -P: the script's folder is not put first on the helper's import path. Unbuffered (bufsize=0): a
                # line read ahead into a buffer would be invisible to the select() that waits for the next.
                self._child = subprocess.Popen(  # noqa: S603
                    [sys.executable, "-P", text.__file__],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    bufsize=0,
                    env={**os.environ, **HELPER_MEMORY},
                )  # nosec B603
                self._tell(self._folder.name)
            except OSError:
                self._failed("no helper process for the TF-IDF: computed in this one")

    def __enter__(self) -> TextVectors:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tell(self, line: str) -> None:
        assert self._child is not None and self._child.stdin is not None  # opened with a pipe  # nosec B101
        self._child.stdin.write(f"{line}\n".encode())
        self._child.stdin.flush()

    def _hear(self, expected: str) -> None:
        """Wait for the helper's next line (at most ``HELPER_SECONDS``), which must be ``expected``."""
        assert self._child is not None and self._child.stdout is not None  # opened with a pipe  # nosec B101
        ready, _, _ = select.select([self._child.stdout], [], [], HELPER_SECONDS)
        line = self._child.stdout.readline().decode().strip() if ready else "(nothing in time)"
        if line != expected:
            raise OSError(f"the TF-IDF helper answered {line!r}, not {expected!r} (exit status {self._child.poll()})")

    def _failed(self, message: str) -> None:
        log.warning(message, exc_info=True)
        self.close()

    @property
    def _path(self) -> Path:
        assert self._folder is not None  # only while the helper runs  # nosec B101
        return Path(self._folder.name)

    def _file(self, kind: str) -> str:
        return f"{kind}-{next(self._files)}"

    def add(self, texts: list[str]) -> None:
        """More texts, after those added before."""
        if self._finished:
            raise RuntimeError("texts added after finish()")
        self._texts.extend(texts)
        if self._child is None or not texts:
            return
        try:
            name = self._file("texts") + ".pickle"
            with (self._path / f"{name}.part").open("wb") as out:
                pickle.dump(texts, out, protocol=pickle.HIGHEST_PROTOCOL)
            (self._path / f"{name}.part").replace(self._path / name)
            self._tell(f"texts {name}")
        except OSError:  # a full disk, a helper that died: done here instead
            self._failed("the TF-IDF helper process failed: computed in this one")

    def finish(self) -> None:
        """No more texts: the helper builds the matrix now, while the caller goes on."""
        if self._child is not None and not self._finished:
            self._finished = True
            try:
                self._tell(f"tfidf {self._dimensions}")
            except OSError:
                self._failed("the TF-IDF helper process failed: computed in this one")

    def result(self) -> sparse.csr_matrix:
        """The matrix: one row a text, in the order added."""
        if self._matrix is None and self._child is not None:
            try:
                self.finish()
                self._hear("tfidf")
                answer = self._path / "tfidf.pickle"
                with answer.open("rb") as given:
                    matrix = pickle.load(given)  # noqa: S301 - our own helper's answer  # nosec B301
                answer.unlink()  # (the texts are confidential: no copy left behind longer than needed)
                if matrix.shape[0] != len(self._texts):
                    raise OSError(f"the TF-IDF helper sent {matrix.shape[0]} rows for {len(self._texts)} texts")
                self._matrix = matrix
                if self._dimensions:
                    self._hear("basis")
                    answer = self._path / "basis.npy"
                    basis = np.load(answer, allow_pickle=False)
                    answer.unlink()
                    if basis.shape[0] != matrix.shape[1]:
                        raise OSError(f"the TF-IDF helper sent a basis of {basis.shape[0]} words for {matrix.shape[1]}")
                    self._basis = (self._dimensions, basis)
            except _HELPER_FAILURES:
                self._failed("the TF-IDF helper process failed: computed in this one")
        if self._matrix is None:
            self._matrix = _tfidf(self._texts)
        return self._matrix

    def basis(self, dimensions: int) -> np.ndarray:
        """Words x ``dimensions``: the main directions of the matrix's rows (``text.main_directions``), worked
        out by the helper right after the matrix when it was created with these ``dimensions``, else here."""
        matrix = self.result()
        if self._basis is not None and self._basis[0] == dimensions:
            return self._basis[1]
        return text.main_directions(matrix, dimensions)

    def pair_dots(self, papers: int, row: np.ndarray, col: np.ndarray) -> PairDots:
        """The text similarity (dot product) of paper ``row[i]`` (of the first ``papers`` texts) and reviewer
        ``col[i]`` (of the others), ``row`` sorted: worked out by the helper while the caller goes on, if there is
        one; call the answer for the numbers."""
        self.result()
        if self._child is not None:
            try:
                # At most a few answers wait unread: the helper never blocks on a full stdout pipe while this
                # process blocks on its full stdin.
                while len(self._asked) >= MAX_UNREAD_ANSWERS:
                    self._read_answer()
                name = self._file("pairs")
                np.save(self._path / f"{name}.npy", np.stack([row, col]), allow_pickle=False)
                self._tell(f"dots {name} {papers}")
                self._asked.append(name)
                return PairDots(self, papers, row, col, name)
            except _HELPER_FAILURES:
                self._failed("the TF-IDF helper process failed: pair similarities computed in this one")
        return PairDots(self, papers, row, col, None)

    def _read_answer(self) -> None:
        done = self._asked.pop(0)
        self._hear(f"dots {done}")
        answer = self._path / f"{done}-dots.npy"
        self._answers[done] = np.load(answer, allow_pickle=False)
        answer.unlink()

    def collect(self, dots: PairDots) -> np.ndarray:
        """The numbers of a ``pair_dots``: the helper's answer (reading those before it on the way), or, when
        there is no helper or it failed, computed here."""
        if dots.name is not None and dots.name not in self._answers and dots.name in self._asked:
            try:
                while dots.name in self._asked:
                    self._read_answer()
            except _HELPER_FAILURES:
                self._failed("the TF-IDF helper process failed: pair similarities computed in this one")
        if dots.name is not None and dots.name in self._answers:
            return self._answers.pop(dots.name)
        matrix = self.result()
        if dots.papers not in self._halves:
            self._halves[dots.papers] = (matrix[: dots.papers], matrix[dots.papers :])
        return text.pair_dots(*self._halves[dots.papers], dots.row, dots.col)

    def close(self) -> None:
        child, self._child = self._child, None
        self._asked = []
        if child is not None:
            with contextlib.suppress(OSError):
                if child.stdin is not None:
                    child.stdin.close()  # (the end of its stdin: a helper still working stops)
            if child.poll() is None:
                child.kill()
            child.wait()
            if child.stdout is not None:
                child.stdout.close()
        folder, self._folder = self._folder, None
        if folder is not None:
            folder.cleanup()


# What a helper that died, hung, or wrote something unexpected makes the reading of its answer raise.
_HELPER_FAILURES = (OSError, EOFError, ValueError, pickle.UnpicklingError)  # (UnicodeDecodeError is a ValueError)
# How long an answer of the helper may take; then it is given up, and the work done in this process.
HELPER_SECONDS = 300
# Pair similarity answers the helper may have written that this process has not read yet.
MAX_UNREAD_ANSWERS = 8


@dataclass
class PairDots:
    """``TextVectors.pair_dots`` on its way: call it for the numbers (from the helper, or computed here)."""

    vectors: TextVectors
    papers: int
    row: np.ndarray
    col: np.ndarray
    name: str | None

    def __call__(self) -> np.ndarray:
        return self.vectors.collect(self)


class _TextSimilarity:
    """Cosine similarity of papers x reviewers, a block of papers at a time (the rows are unit vectors).

    When ``split``, the words whose sparse product would cost more than a dense one (those most papers and
    reviewers share) go through a dense matrix product; the rest stay sparse. The split point minimises the
    estimated cost from each word's document frequencies."""

    def __init__(self, papers: sparse.csr_matrix, reviewers: sparse.csr_matrix, *, split: bool) -> None:
        n_papers, n_reviewers = papers.shape[0], reviewers.shape[0]
        dense_words = np.zeros(0, dtype=np.int64)
        if split and papers.shape[1]:
            work = np.bincount(papers.indices, minlength=papers.shape[1]).astype(np.float64) * np.bincount(
                reviewers.indices, minlength=papers.shape[1]
            )
            order = np.argsort(-work, kind="stable")
            sparse_left = np.concatenate([[work.sum()], work.sum() - np.cumsum(work[order])])
            cost = SPARSE_COST * sparse_left + 2.0 * n_papers * n_reviewers * np.arange(len(order) + 1)
            dense_words = np.sort(order[: int(np.argmin(cost))])
        self.dense_papers = papers[:, dense_words].toarray() if len(dense_words) else None
        self.dense_reviewers = reviewers[:, dense_words].toarray().T.copy() if len(dense_words) else None
        rest = arrays.difference(np.arange(papers.shape[1]), dense_words)
        self.papers = papers[:, rest].tocsr() if len(dense_words) else papers
        self.reviewers = (reviewers[:, rest] if len(dense_words) else reviewers).T.tocsr()

    def rows(self, start: int, stop: int) -> np.ndarray:
        out = (self.papers[start:stop] @ self.reviewers).toarray()
        if self.dense_papers is not None:
            out += self.dense_papers[start:stop] @ self.dense_reviewers
        return out


def _one_hot(rows: list[set[int]], column: dict[int, int]) -> np.ndarray:
    out = np.zeros((len(rows), len(column)), dtype=np.float32)
    for i, topics in enumerate(rows):
        out[i, [column[t] for t in topics if t in column]] = 1.0
    return out
