"""Affinity of reviewer-paper pairs: text similarity, topic overlap and bids, weighted; conflicts left out,
"not willing" flagged, top K per paper (a bid counts in the ranking, "not willing" ranks last), the approximate
choice of the K best at conference size, and the reasons shown to the chair. Pure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from portal.assign import affinity
from portal.assign.affinity import PairArrays, PaperInfo, Reason, ReviewerInfo, Scored, Weights, score, score_edges
from portal.assign.solver import Candidate

TEXT_ONLY = Weights(bid=0.0, topics=0.0, text=1.0)
TOPICS_ONLY = Weights(bid=0.0, topics=1.0, text=0.0)

SPARSE_PAPER = PaperInfo(1, "Sparse attention transformers for long documents", {1})
ATTENTION = ReviewerInfo(10, "I work on attention: sparse and linear attention in transformers.", set())
RETRIEVAL = ReviewerInfo(11, "Retrieval-augmented generation and dense passage retrieval.", set())


def _by_pair(scored: Scored) -> dict[tuple[int, int], Candidate]:
    return {(c.paper, c.reviewer): c for c in scored.candidates}


def test_score_text_attention_reviewer_beats_retrieval_reviewer() -> None:
    scored = score([SPARSE_PAPER], [ATTENTION, RETRIEVAL], {}, set(), TEXT_ONLY)

    attention, retrieval = scored.reasons[(1, 10)], scored.reasons[(1, 11)]
    assert attention.text_similarity > 0.3
    assert retrieval.text_similarity == 0.0  # not a word in common
    assert _by_pair(scored)[(1, 10)].affinity == pytest.approx(attention.text_similarity)
    assert _by_pair(scored)[(1, 11)].affinity == 0.0


def test_score_text_identical_statement_scores_one() -> None:
    twin = ReviewerInfo(12, SPARSE_PAPER.text, set())

    scored = score([SPARSE_PAPER], [twin, RETRIEVAL], {}, set(), TEXT_ONLY)

    assert scored.reasons[(1, 12)].text_similarity == pytest.approx(1.0, abs=1e-6)


def test_score_topics_overlap_is_the_fraction_of_the_papers_topics() -> None:
    paper = PaperInfo(1, "Long context evaluation", {1, 2, 3, 4})
    reviewers = [
        ReviewerInfo(10, "", {1, 2, 9}),  # two of the paper's four topics
        ReviewerInfo(11, "", {1, 2, 3, 4, 5}),  # all four
        ReviewerInfo(12, "", set()),  # none
    ]

    scored = score([paper], reviewers, {}, set(), TOPICS_ONLY)

    assert {k: c.affinity for k, c in _by_pair(scored).items()} == {(1, 10): 0.5, (1, 11): 1.0, (1, 12): 0.0}
    assert [(r.common_topics, r.paper_topics) for r in scored.reasons.values()] == [(2, 4), (4, 4), (0, 4)]


def test_score_paper_without_topics_has_zero_overlap() -> None:
    scored = score([PaperInfo(1, "Long context evaluation", set())], [ReviewerInfo(10, "", {1})], {}, set(), TOPICS_ONLY)

    assert (scored.candidates[0].affinity, scored.reasons[(1, 10)].paper_topics) == (0.0, 0)


def test_score_bids_eager_over_willing_over_none_over_in_a_pinch_with_weight() -> None:
    paper = PaperInfo(1, "Long context evaluation", set())
    reviewers = [ReviewerInfo(r, "", set()) for r in (10, 11, 12, 13, 14)]
    bids = {(1, 10): "eager", (1, 11): "willing", (1, 13): "in_a_pinch", (1, 14): "not_willing"}

    scored = score([paper], reviewers, bids, set(), Weights(bid=2.0, topics=0.0, text=0.0))

    assert {k: c.affinity for k, c in _by_pair(scored).items()} == {
        (1, 10): 2.0,
        (1, 11): 1.0,
        (1, 12): 0.0,
        (1, 13): -1.0,
        (1, 14): 0.0,
    }


def test_score_not_willing_pairs_flagged_and_only_them() -> None:
    paper = PaperInfo(1, "Long context evaluation", set())
    reviewers = [ReviewerInfo(r, "", set()) for r in (10, 11, 12)]

    scored = score([paper], reviewers, {(1, 10): "not_willing", (1, 11): "eager"}, set(), Weights())

    assert {k: c.not_willing for k, c in _by_pair(scored).items()} == {(1, 10): True, (1, 11): False, (1, 12): False}


def test_score_affinity_is_the_weighted_sum_of_the_components() -> None:
    paper = PaperInfo(1, "Sparse attention transformers for long documents", {1, 2})
    reviewer = ReviewerInfo(10, "I work on attention: sparse and linear attention in transformers.", {2})
    weights = Weights(bid=1.5, topics=0.7, text=2.0)

    scored = score([paper], [reviewer], {(1, 10): "willing"}, set(), weights)

    reason = scored.reasons[(1, 10)]
    assert reason.affinity == pytest.approx(1.5 * 0.5 + 0.7 * 0.5 + 2.0 * reason.text_similarity, abs=1e-6)
    assert scored.candidates == [Candidate(1, 10, reason.affinity, False)]


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (Weights(bid=0.0, topics=1.0, text=0.0), 1.0),  # only the topics
        (Weights(bid=1.0, topics=0.0, text=0.0), 1.0),  # only the bid
        (Weights(bid=0.0, topics=0.0, text=0.0), 0.0),  # nothing
    ],
)
def test_score_weight_zero_removes_a_component(weights: Weights, expected: float) -> None:
    paper = PaperInfo(1, "Sparse attention transformers", {1})
    reviewer = ReviewerInfo(10, "Sparse attention transformers", {1})  # text similarity 1

    scored = score([paper], [reviewer], {(1, 10): "eager"}, set(), weights)

    assert scored.candidates[0].affinity == pytest.approx(expected, abs=1e-6)
    assert scored.reasons[(1, 10)].text_similarity == pytest.approx(1.0, abs=1e-6)  # still explained


@pytest.mark.parametrize("top_k", [None, 2])
def test_score_conflicts_are_left_out_of_candidates_and_reasons(top_k: int | None) -> None:
    papers = [SPARSE_PAPER, PaperInfo(2, "Retrieval for long documents", {1})]
    bids = {(1, 10): "eager"}  # a bid does not bring a conflicted pair back

    scored = score(papers, [ATTENTION, RETRIEVAL], bids, {(1, 10), (2, 11)}, Weights(), top_k=top_k)

    assert sorted(_by_pair(scored)) == [(1, 11), (2, 10)]
    assert sorted(scored.reasons) == [(1, 11), (2, 10)]


@pytest.fixture(params=["exact", "approximate"])
def either_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The top-K rules hold on the exact path and on the conference path (the K best chosen approximately)."""
    if request.param == "approximate":
        monkeypatch.setattr(affinity, "APPROXIMATE_PAIRS", 0)


@pytest.mark.usefixtures("either_path")
def test_score_top_k_conflicted_reviewer_does_not_take_a_slot() -> None:
    papers = [SPARSE_PAPER, PaperInfo(2, "Retrieval for long documents", {1})]

    scored = score(papers, [ATTENTION, RETRIEVAL], {}, {(1, 10), (2, 11)}, Weights(), top_k=1)

    # Each paper's best match is conflicted; the next best should fill its one slot.
    assert sorted(_by_pair(scored)) == [(1, 11), (2, 10)]


@pytest.mark.usefixtures("either_path")
def test_score_top_k_limits_candidates_per_paper_to_the_best() -> None:
    papers = [PaperInfo(1, "Long context evaluation", {1}), PaperInfo(2, "Long context evaluation", {2})]
    # Reviewers 15-17 share the papers' topics (affinity 1), the others nothing (affinity 0).
    reviewers = [ReviewerInfo(10 + i, "", {1, 2} if i >= 5 else set()) for i in range(8)]
    bids = {(1, 10 + i): "willing" for i in range(8)}  # every pair with paper 1 has a bid
    scored = score(papers, reviewers, {}, set(), Weights(), top_k=3)

    per_paper = {p: sorted(r for q, r in _by_pair(scored) if q == p) for p in (1, 2)}

    assert per_paper == {1: [15, 16, 17], 2: [15, 16, 17]}
    # Bids on every pair of paper 1 bring in nobody more: still the 3 best, now 1.5 each.
    with_bids = _by_pair(score(papers, reviewers, bids, set(), Weights(), top_k=3))
    assert sorted(with_bids) == [(1, 15), (1, 16), (1, 17), (2, 15), (2, 16), (2, 17)]
    assert with_bids[(1, 15)].affinity == 1.5


@pytest.mark.usefixtures("either_path")
def test_score_top_k_a_bid_counts_in_the_ranking_and_not_willing_ranks_last() -> None:
    paper = PaperInfo(1, "Sparse attention transformers for long documents", {1})
    # 10-13 write about the paper's subject (text similarity about 0.7, below an eager bid's 1.0); the rest nothing.
    reviewers = [ReviewerInfo(10 + i, "sparse attention transformers" if i < 4 else "", set()) for i in range(10)]
    bids = {(1, 18): "eager", (1, 10): "not_willing", (1, 19): "in_a_pinch"}

    scored = score([paper], reviewers, bids, set(), Weights(), top_k=2)

    # The eager bidder first; the most similar reviewer said "not willing", so the next one takes the place.
    assert sorted(_by_pair(scored)) == [(1, 11), (1, 18)]
    assert scored.reasons[(1, 18)].bid == "eager"


@pytest.mark.usefixtures("either_path")
def test_score_top_k_a_not_willing_reviewer_is_kept_when_nobody_else_is_left() -> None:
    reviewers = [ATTENTION, RETRIEVAL, ReviewerInfo(12, "", set())]
    bids = {(1, 10): "not_willing"}

    scored = score([SPARSE_PAPER], reviewers, bids, {(1, 11), (1, 12)}, Weights(), top_k=1)

    assert list(_by_pair(scored)) == [(1, 10)]
    assert _by_pair(scored)[(1, 10)].not_willing is True


def test_score_top_k_at_least_the_number_of_reviewers_keeps_everyone() -> None:
    scored = score([SPARSE_PAPER], [ATTENTION, RETRIEVAL], {}, set(), Weights(), top_k=2)

    assert sorted(_by_pair(scored)) == [(1, 10), (1, 11)]


def test_score_reasons_carry_bid_topics_and_text() -> None:
    paper = PaperInfo(1, "Sparse attention transformers", {1, 2})
    reviewer = ReviewerInfo(10, "Retrieval-augmented generation", {2, 3})

    scored = score([paper], [reviewer], {(1, 10): "eager"}, set(), Weights())

    assert scored.reasons == {(1, 10): Reason(affinity=1.5, bid="eager", common_topics=1, paper_topics=2, text_similarity=0.0)}


def test_score_reasons_without_bid_say_none() -> None:
    scored = score([SPARSE_PAPER], [RETRIEVAL], {}, set(), Weights())

    assert scored.reasons[(1, 11)].bid is None


def test_score_small_chunks_give_the_same_result() -> None:
    papers = [PaperInfo(i, f"Sparse attention transformers part {i} long documents", {i % 3}) for i in range(1, 8)]
    reviewers = [ATTENTION, RETRIEVAL, ReviewerInfo(12, "long documents and memory", {0, 1})]
    bids = {(2, 10): "eager", (5, 12): "not_willing", (7, 11): "in_a_pinch"}

    whole = score(papers, reviewers, bids, {(3, 10)}, Weights(), top_k=2)
    chunked = score(papers, reviewers, bids, {(3, 10)}, Weights(), top_k=2, chunk=3)

    assert sorted(chunked.candidates, key=lambda c: (c.paper, c.reviewer)) == sorted(
        whole.candidates, key=lambda c: (c.paper, c.reviewer)
    )
    assert chunked.reasons == whole.reasons


def test_score_bids_on_unknown_papers_or_reviewers_are_ignored() -> None:
    scored = score([SPARSE_PAPER], [ATTENTION], {(99, 10): "eager", (1, 99): "eager"}, set(), Weights())

    assert sorted(_by_pair(scored)) == [(1, 10)]
    assert scored.reasons[(1, 10)].bid is None


def test_score_no_papers_or_no_reviewers_is_empty() -> None:
    assert score([], [ATTENTION], {}, set(), Weights()) == Scored([])
    assert score([SPARSE_PAPER], [], {}, set(), Weights()) == Scored([])


# --- conference size: the K best chosen with an approximate text similarity --------------------------


@pytest.fixture
def approximate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every top-K scoring takes the conference path, however small."""
    monkeypatch.setattr(affinity, "APPROXIMATE_PAIRS", 0)


def _conference(seed: int = 3, papers: int = 90, reviewers: int = 120) -> tuple[list[PaperInfo], list[ReviewerInfo]]:
    """Papers and reviewers on 6 subjects, each with 30 words of its own among 400 general ones, 1-2 topics."""
    rng = np.random.default_rng(seed)
    general = [f"w{i}" for i in range(400)]
    own = [[f"s{s}x{i}" for i in range(30)] for s in range(6)]

    def text(subject: int, n: int) -> str:
        return " ".join([*rng.choice(own[subject], n // 2), *rng.choice(general, n - n // 2)])

    ps, rs = rng.integers(0, 6, papers), rng.integers(0, 6, reviewers)
    return (
        [PaperInfo(1 + i, text(s, 60), {int(s), int(rng.integers(0, 6))}) for i, s in enumerate(ps.tolist())],
        [ReviewerInfo(1000 + i, text(s, 80), {int(s)}) for i, s in enumerate(rs.tolist())],
    )


def _pair_set(edges: affinity.Edges) -> set[tuple[int, int]]:
    return set(zip(edges.paper.tolist(), edges.reviewer.tolist(), strict=True))


def _pairs(bids: dict[tuple[int, int], str] | set[tuple[int, int]]) -> PairArrays:
    return PairArrays.of(bids)


def test_approximate_choice_keeps_nearly_all_of_the_exact_k_best(monkeypatch: pytest.MonkeyPatch) -> None:
    papers, reviewers = _conference()  # 490 words: the default 48 dimensions are an approximation
    exact = score_edges(papers, reviewers, _pairs(set()), _pairs(set()), Weights(), top_k=10)
    monkeypatch.setattr(affinity, "APPROXIMATE_PAIRS", 0)
    approx = score_edges(papers, reviewers, _pairs(set()), _pairs(set()), Weights(), top_k=10)

    assert (exact.approximate, approx.approximate, approx.top_k) == (False, True, 10)
    assert len(approx) == len(exact) == 90 * 10
    same = _pair_set(exact) & _pair_set(approx)
    # Within a subject the reviewers differ by chance words only, so the exact 10 best are partly a toss-up;
    # what the solver gets is as good: the candidates' total affinity within 1 % of the exact best.
    assert len(same) >= 0.75 * len(exact)
    assert approx.affinity.sum() >= 0.99 * exact.affinity.sum()


def test_approximate_candidates_carry_their_exact_affinity_and_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    papers, reviewers = _conference()
    bids = {(p.id, r.id): v for p, r, v in zip(papers[::3], reviewers, ["eager", "willing", "in_a_pinch"] * 20, strict=False)}
    conflicts = {(p.id, r.id) for p, r in zip(papers[1::3], reviewers[5:], strict=False)}
    weights = Weights(bid=2.0, topics=0.5, text=3.0)
    every = score(papers, reviewers, bids, conflicts, weights)  # all pairs, exact
    monkeypatch.setattr(affinity, "APPROXIMATE_PAIRS", 0)
    monkeypatch.setattr(affinity, "TEXT_DIMENSIONS", 8)

    approx = score(papers, reviewers, bids, conflicts, weights, top_k=10)

    assert approx.reasons
    for pair, reason in approx.reasons.items():
        truth = every.reasons[pair]
        assert (reason.bid, reason.common_topics, reason.paper_topics) == (truth.bid, truth.common_topics, truth.paper_topics)
        assert reason.text_similarity == pytest.approx(truth.text_similarity, abs=1e-5)
        assert reason.affinity == pytest.approx(truth.affinity, abs=1e-5)
    assert not set(approx.reasons) & conflicts
    # Every eager bid whose pair is not conflicted is among its paper's 10 best (it outweighs any text).
    assert {pair for pair, v in bids.items() if v == "eager"} - conflicts <= set(approx.reasons)


@pytest.mark.usefixtures("approximate")
def test_approximate_without_any_word_ranks_by_topics_and_bids() -> None:
    papers = [PaperInfo(1, "", {1}), PaperInfo(2, "", {2})]
    reviewers = [ReviewerInfo(10, "", {1}), ReviewerInfo(11, "", {2}), ReviewerInfo(12, "", set())]

    scored = score(papers, reviewers, {(2, 12): "eager"}, set(), Weights(), top_k=1)

    assert sorted(_by_pair(scored)) == [(1, 10), (2, 11)]  # topic share 1.0 ties the eager bid: lower column
    assert scored.reasons[(1, 10)] == Reason(affinity=1.0, bid=None, common_topics=1, paper_topics=1, text_similarity=0.0)


# --- the TF-IDF in a helper process ------------------------------------------------------------------


TEXTS = ["Sparse attention transformers for long documents", "Retrieval for long documents", "", "naïve café memory"]


def _same_matrix(a: object, b: object) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("data", "indices", "indptr")) and (a.shape == b.shape)  # type: ignore[attr-defined]


def test_text_vectors_from_a_helper_process_are_the_same_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = affinity._tfidf(TEXTS)
    monkeypatch.setattr(affinity, "BACKGROUND_TEXTS", 1)

    def not_here(texts: list[str]) -> None:
        raise AssertionError("computed in this process, not in the helper")

    with affinity.TextVectors(len(TEXTS)) as vectors:
        monkeypatch.setattr(affinity, "_tfidf", not_here)
        vectors.add(TEXTS[:1])  # (split into words while the rest is read)
        vectors.add(TEXTS[1:])
        assert _same_matrix(vectors.result(), expected)


@pytest.mark.parametrize("executable", ["/bin/false", "/nonexistent/python"])
def test_text_vectors_are_computed_here_when_the_helper_fails_or_cannot_start(
    monkeypatch: pytest.MonkeyPatch, executable: str
) -> None:
    monkeypatch.setattr(affinity, "BACKGROUND_TEXTS", 1)
    monkeypatch.setattr(affinity.sys, "executable", executable)

    with affinity.TextVectors(len(TEXTS)) as vectors:
        vectors.add(TEXTS)
        assert _same_matrix(vectors.result(), affinity._tfidf(TEXTS))


def test_text_vectors_below_the_threshold_start_no_helper_and_a_closed_helper_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    small = affinity.TextVectors(len(TEXTS))
    assert small._child is None  # fewer texts than BACKGROUND_TEXTS: no process at all
    small.add(TEXTS)
    assert _same_matrix(small.result(), affinity._tfidf(TEXTS))

    monkeypatch.setattr(affinity, "BACKGROUND_TEXTS", 1)
    unused = affinity.TextVectors(len(TEXTS))  # the caller failed before it started the helper
    child, folder = unused._child, unused._folder
    assert child is not None and folder is not None
    unused.close()
    assert child.poll() is not None  # stopped, not left waiting on its stdin
    assert not Path(folder.name).exists()


def test_the_helper_works_out_pair_similarities_and_they_are_computed_here_if_it_dies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(affinity, "BACKGROUND_TEXTS", 1)
    papers, reviewers = _conference(papers=30, reviewers=40)
    texts = [p.text for p in papers] + [r.text for r in reviewers]
    matrix = affinity._tfidf(texts)
    row, col = np.repeat(np.arange(30), 5), np.tile(np.arange(0, 40, 8), 30)
    expected = (matrix[:30][row].multiply(matrix[30:][col])).sum(axis=1).A.ravel()

    with affinity.TextVectors(len(texts)) as vectors:
        vectors.add(texts)
        vectors.finish()
        local = affinity.text.pair_dots
        monkeypatch.setattr(affinity.text, "pair_dots", lambda *a: pytest.fail("computed here, not in the helper"))
        first, second = vectors.pair_dots(30, row[:75], col[:75]), vectors.pair_dots(30, row[75:], col[75:])
        assert np.allclose(np.concatenate([first(), second()]), expected, atol=1e-6)

        monkeypatch.setattr(affinity.text, "pair_dots", local)
        assert vectors._child is not None
        vectors._child.kill()  # the helper dies: the next ones are computed here, the same
        assert np.allclose(vectors.pair_dots(30, row, col)(), expected, atol=1e-6)


def test_the_tfidf_is_scikit_learns_bit_for_bit() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    papers, reviewers = _conference(papers=40, reviewers=30)
    texts = [p.text for p in papers] + [r.text for r in reviewers] + [*TEXTS[:2], "naïve café memory_bank x"]

    ours = affinity.text.tfidf(texts)
    theirs = TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float32).fit_transform(texts)

    theirs = theirs.tocsr()
    theirs.sort_indices()  # (scikit-learn leaves each row's columns in the order first seen)
    assert _same_matrix(ours, theirs)


@pytest.mark.parametrize(
    "batches",
    [
        # ASCII batches are split as one text with a mark between texts: empty texts, a one-letter word, a text
        # ending or starting in punctuation, a lone text.
        [["", "Attention, attention: sparse!", "x", ""], ["memory-bank cache", "..."], ["Long context"]],
        # A text holding the mark's own character, and a batch with a non-ASCII text, are split text by text.
        [["a\x01b memory cache", "retrieval"], ["naïve café memory", "attention"], ["sparse attention"]],
        # ASCII and other texts taking turns in one batch: each text keeps its own words.
        [["memory cache", "naïve café memory", "", "attention sink", "Ünïcode — memory", "x", "a\x01b", "long context"]],
        [[], ["one text only"], ["", ""], ["retrieval augmented generation", "memory"]],
    ],
)
def test_texts_added_in_batches_give_scikit_learns_tfidf_bit_for_bit(batches: list[list[str]]) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    papers, _ = _conference(papers=12, reviewers=1)
    batches = [*batches, [p.text for p in papers]]
    counted = affinity.text.Words()
    for batch in batches:
        counted.add(batch)
    texts = [t for batch in batches for t in batch]

    theirs = TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float32).fit_transform(texts).tocsr()
    theirs.sort_indices()
    assert _same_matrix(counted.tfidf(), theirs)


def test_many_blocks_in_flight_and_a_helper_that_dies_with_answers_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(affinity, "BACKGROUND_TEXTS", 1)
    monkeypatch.setattr(affinity, "MAX_UNREAD_ANSWERS", 2)
    monkeypatch.setattr(affinity, "HELPER_SECONDS", 10)
    papers, reviewers = _conference(papers=30, reviewers=40)
    texts = [p.text for p in papers] + [r.text for r in reviewers]
    matrix = affinity._tfidf(texts)

    def expected(row: np.ndarray, col: np.ndarray) -> np.ndarray:
        return (matrix[:30][row].multiply(matrix[30:][col])).sum(axis=1).A.ravel()

    blocks = [(np.full(7, p), np.arange(p, p + 7)) for p in range(30)]  # one paper a block: 30 asked at once
    with affinity.TextVectors(len(texts)) as vectors:
        vectors.add(texts)
        asked = [vectors.pair_dots(30, row, col) for row, col in blocks]
        assert all(np.allclose(d(), expected(*b), atol=1e-6) for d, b in zip(asked, blocks, strict=True))

        first, second = vectors.pair_dots(30, *blocks[0]), vectors.pair_dots(30, *blocks[1])
        assert vectors._child is not None
        vectors._child.kill()  # dies with both answers unread (or not yet written)
        assert np.allclose(second(), expected(*blocks[1]), atol=1e-6)
        assert np.allclose(first(), expected(*blocks[0]), atol=1e-6)


def test_a_helper_that_hangs_is_given_up(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hangs = tmp_path / "hangs"
    hangs.write_text("#!/bin/sh\nsleep 30\n")
    hangs.chmod(0o755)
    monkeypatch.setattr(affinity, "BACKGROUND_TEXTS", 1)
    monkeypatch.setattr(affinity, "HELPER_SECONDS", 0.5)
    monkeypatch.setattr(affinity.sys, "executable", str(hangs))

    with affinity.TextVectors(len(TEXTS)) as vectors:
        vectors.add(TEXTS)
        assert _same_matrix(vectors.result(), affinity._tfidf(TEXTS))  # after half a second, computed here
        assert vectors._child is None


def test_the_helper_works_out_the_main_directions_after_the_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(affinity, "BACKGROUND_TEXTS", 1)
    papers, reviewers = _conference(papers=30, reviewers=40)
    texts = [p.text for p in papers] + [r.text for r in reviewers]
    matrix = affinity._tfidf(texts)
    local = affinity.text.main_directions

    with affinity.TextVectors(len(texts), dimensions=8) as vectors:
        vectors.add(texts)
        vectors.finish()
        monkeypatch.setattr(affinity.text, "main_directions", lambda *a: pytest.fail("computed here, not in the helper"))
        basis = vectors.basis(8)
        monkeypatch.setattr(affinity.text, "main_directions", local)
        other = vectors.basis(5)  # (not the helper's: computed here)

    assert basis.shape == (matrix.shape[1], 8)
    assert np.allclose(basis, local(matrix, 8), atol=1e-5)
    assert np.allclose(other, local(matrix, 5), atol=1e-5)


def test_a_helper_that_dies_before_the_main_directions_leaves_them_to_this_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The real helper, made to die where it would work out the main directions (after the matrix).
    dies = tmp_path / "dies.py"
    dies.write_text(
        "import importlib.util, os, sys\n"
        f"spec = importlib.util.spec_from_file_location('text', {affinity.text.__file__!r})\n"
        "text = importlib.util.module_from_spec(spec)\n"
        "sys.modules['text'] = text\n"
        "spec.loader.exec_module(text)\n"
        "text.main_directions = lambda *a: os._exit(3)\n"
        "text._serve()\n"
    )
    monkeypatch.setattr(affinity, "BACKGROUND_TEXTS", 1)
    monkeypatch.setattr(affinity.text, "__file__", str(dies))
    papers, reviewers = _conference(papers=30, reviewers=40)
    texts = [p.text for p in papers] + [r.text for r in reviewers]
    matrix = affinity._tfidf(texts)

    with affinity.TextVectors(len(texts), dimensions=8) as vectors:
        vectors.add(texts)
        monkeypatch.setattr(affinity, "_tfidf", lambda texts: pytest.fail("the matrix too was computed here"))
        assert _same_matrix(vectors.result(), matrix)  # the helper's
        assert np.allclose(vectors.basis(8), affinity.text.main_directions(matrix, 8), atol=1e-5)
        assert vectors._child is None  # given up, its files gone
