"""Affinity of reviewer-submission pairs: the bid, the topics in common and the text similarity (TF-IDF
cosine between the paper's title and abstract and the reviewer's statement and own papers). Pure: numbers
in, numbers out, no Flask. Large instances are scored in chunks and keep the top K candidates per paper."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from portal.assign.solver import Candidate

if TYPE_CHECKING:
    from scipy import sparse

BID_SCORES = {"eager": 1.0, "willing": 0.5, "in_a_pinch": -0.5, "not_willing": 0.0}


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


def score(
    papers: list[PaperInfo], reviewers: list[ReviewerInfo], bids: dict[tuple[int, int], str],
    conflicts: set[tuple[int, int]], weights: Weights, *, top_k: int | None = None, chunk: int = 2000,
) -> Scored:  # fmt: skip
    """Candidate pairs (conflicts left out) with their affinity and the reason for it."""
    # Imported here: scikit-learn takes over a second to import, which every CLI command would pay.
    import numpy as np
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not papers or not reviewers:
        return Scored([])
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1, dtype=np.float32)
    vectorizer.fit([p.text for p in papers] + [r.text for r in reviewers])
    paper_vecs = vectorizer.transform([p.text for p in papers])
    reviewer_vecs = vectorizer.transform([r.text for r in reviewers]).T.tocsr()

    topic_ids = sorted({t for p in papers for t in p.topics} | {t for r in reviewers for t in r.topics})
    column = {t: i for i, t in enumerate(topic_ids)}
    paper_topics = _one_hot([p.topics for p in papers], column)
    reviewer_topics = _one_hot([r.topics for r in reviewers], column).T.tocsr()
    paper_topic_count = np.asarray(paper_topics.sum(axis=1)).ravel()

    r_index = {r.id: j for j, r in enumerate(reviewers)}
    p_index = {p.id: i for i, p in enumerate(papers)}
    rows, cols, vals = [], [], []
    bid_columns: dict[int, list[int]] = {}
    for (pid, rid), value in bids.items():
        if pid in p_index and rid in r_index:
            rows.append(p_index[pid])
            cols.append(r_index[rid])
            vals.append(BID_SCORES.get(value, 0.0))
            bid_columns.setdefault(pid, []).append(r_index[rid])
    bid_matrix = sparse.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                                   shape=(len(papers), len(reviewers)))  # fmt: skip

    conflicted_columns: dict[int, list[int]] = {}
    for pid, rid in conflicts:
        if pid in p_index and rid in r_index:
            conflicted_columns.setdefault(pid, []).append(r_index[rid])

    result = Scored([])
    for start in range(0, len(papers), chunk):
        stop = min(start + chunk, len(papers))
        text = (paper_vecs[start:stop] @ reviewer_vecs).toarray()
        common = (paper_topics[start:stop] @ reviewer_topics).toarray()
        overlap = common / np.maximum(paper_topic_count[start:stop, None], 1)
        bid = bid_matrix[start:stop].toarray()
        affinity = weights.bid * bid + weights.topics * overlap + weights.text * text
        columns: Any
        for row in range(stop - start):
            paper = papers[start + row]
            if paper.id in conflicted_columns:  # a conflicted reviewer never takes one of the top K places
                affinity[row, conflicted_columns[paper.id]] = -np.inf
            if top_k is not None and top_k < len(reviewers):
                columns = np.argpartition(-affinity[row], top_k)[:top_k]
                if paper.id in bid_columns:  # every pair with a bid stays a candidate
                    columns = np.union1d(columns, np.array(bid_columns[paper.id], dtype=np.int64))
            else:
                columns = np.arange(len(reviewers))
            for j in columns.tolist():
                reviewer = reviewers[j]
                if not np.isfinite(affinity[row, j]):
                    continue
                value = bids.get((paper.id, reviewer.id))
                a = float(affinity[row, j])
                result.candidates.append(Candidate(paper.id, reviewer.id, a, value == "not_willing"))
                result.reasons[(paper.id, reviewer.id)] = Reason(
                    affinity=a, bid=value, common_topics=int(common[row, j]),
                    paper_topics=int(paper_topic_count[start + row]), text_similarity=float(text[row, j]),
                )  # fmt: skip
    return result


def _one_hot(rows: list[set[int]], column: dict[int, int]) -> sparse.csr_matrix:
    import numpy as np
    from scipy import sparse

    data, indices, indptr = [], [], [0]
    for topics in rows:
        cols = sorted(column[t] for t in topics if t in column)
        indices.extend(cols)
        data.extend([1.0] * len(cols))
        indptr.append(len(indices))
    return sparse.csr_matrix((np.array(data, dtype=np.float32), indices, indptr), shape=(len(rows), len(column)))
