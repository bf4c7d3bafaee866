"""Affinity of reviewer-paper pairs: text similarity, topic overlap and bids, weighted; conflicts left out,
"not willing" flagged, top K per paper (bids always kept), and the reasons shown to the chair. Pure."""

from __future__ import annotations

import pytest

from portal.assign.affinity import PaperInfo, Reason, ReviewerInfo, Scored, Weights, score
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
        (1, 10): 2.0, (1, 11): 1.0, (1, 12): 0.0, (1, 13): -1.0, (1, 14): 0.0,
    }  # fmt: skip


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


def test_score_top_k_conflicted_reviewer_does_not_take_a_slot() -> None:
    papers = [SPARSE_PAPER, PaperInfo(2, "Retrieval for long documents", {1})]

    scored = score(papers, [ATTENTION, RETRIEVAL], {}, {(1, 10), (2, 11)}, Weights(), top_k=1)

    # Each paper's best match is conflicted; the next best should fill its one slot.
    assert sorted(_by_pair(scored)) == [(1, 11), (2, 10)]


def test_score_top_k_limits_candidates_per_paper_to_the_best() -> None:
    papers = [PaperInfo(1, "Long context evaluation", {1}), PaperInfo(2, "Long context evaluation", {2})]
    # Reviewers 15-17 share the papers' topics (affinity 1), the others nothing (affinity 0).
    reviewers = [ReviewerInfo(10 + i, "", {1, 2} if i >= 5 else set()) for i in range(8)]
    bids = {(1, 10 + i): "willing" for i in range(8)}  # every pair with paper 1 has a bid
    scored = score(papers, reviewers, {}, set(), Weights(), top_k=3)

    per_paper = {p: sorted(r for q, r in _by_pair(scored) if q == p) for p in (1, 2)}

    assert per_paper == {1: [15, 16, 17], 2: [15, 16, 17]}
    assert len(score(papers, reviewers, bids, set(), Weights(), top_k=3).candidates) == 8 + 3


def test_score_top_k_keeps_every_pair_that_has_a_bid() -> None:
    paper = PaperInfo(1, "Sparse attention transformers for long documents", {1})
    reviewers = [ReviewerInfo(10 + i, "sparse attention transformers" if i < 4 else "", {1} if i < 4 else set())
                 for i in range(10)]  # fmt: skip
    bids = {(1, 18): "in_a_pinch", (1, 19): "not_willing"}  # bids on the two least similar reviewers

    scored = score([paper], reviewers, bids, set(), Weights(), top_k=2)

    assert sorted(_by_pair(scored)) == [(1, 10), (1, 11), (1, 18), (1, 19)]
    assert _by_pair(scored)[(1, 19)].not_willing is True


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
