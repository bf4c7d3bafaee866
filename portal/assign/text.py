"""Texts as TF-IDF vectors: the rows scikit-learn's ``TfidfVectorizer`` gives, without scikit-learn.

Also the exact text similarity of (paper, reviewer) pairs (``pair_dots``). This module imports nothing of the
portal, so that ``TextVectors`` (in ``affinity``) can run it as a script by its path in a helper process
(``python -P .../text.py``) that starts in 0.15 s instead of importing Flask and SQLAlchemy with the
``portal`` package; ``_serve`` says what it is told and what it answers.
"""

from __future__ import annotations

import pickle  # only between the portal and this helper  # nosec B403
import re
import sys
from collections import defaultdict
from itertools import chain, count
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from scipy import sparse


# scikit-learn's English stop words (sklearn/feature_extraction/_stop_words.py, BSD licence), copied so that
# scoring does not import scikit-learn (the same 318 words as its version 1.9).
ENGLISH_STOP_WORDS = frozenset(
    """
a about above across after afterwards again against all almost alone along already also although always am
among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at back
be became because become becomes becoming been before beforehand behind being below beside besides between
beyond bill both bottom but by call can cannot cant co con could couldnt cry de describe detail do done down
due during each eg eight either eleven else elsewhere empty enough etc even ever every everyone everything
everywhere except few fifteen fifty fill find fire first five for former formerly forty found four from front
full further get give go had has hasnt have he hence her here hereafter hereby herein hereupon hers herself
him himself his how however hundred i ie if in inc indeed interest into is it its itself keep last latter
latterly least less ltd made many may me meanwhile might mill mine more moreover most mostly move much must my
myself name namely neither never nevertheless next nine no nobody none noone nor not nothing now nowhere of
off often on once one only onto or other others otherwise our ours ourselves out over own part per perhaps
please put rather re same see seem seemed seeming seems serious several she should show side since sincere six
sixty so some somehow someone something sometime sometimes somewhere still such system take ten than that the
their them themselves then thence there thereafter thereby therefore therein thereupon these they thick thin
third this those though three through throughout thru thus to together too top toward towards twelve twenty
two un under until up upon us very via was we well were what whatever when whence whenever where whereafter
whereas whereby wherein whereupon wherever whether which while whither who whoever whole whom whose why will
with within without would yet you your yours yourself yourselves
""".split()  # noqa: SIM905 - a word list reads better as text
)
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_ASCII_WORD = bytes(c if chr(c).isalnum() or c == ord("_") else ord(" ") for c in range(128)) + b" " * 128
# Texts split as one (``Words.add``): this mark stands between two texts, a word of its own.
_MARK = "\x01"
_BETWEEN = f" {_MARK} "
_ASCII_WORD_AND_MARK = _ASCII_WORD[:1] + _MARK.encode() + _ASCII_WORD[2:]


def words(text: str) -> list[str]:
    text = text.lower()
    return text.encode().translate(_ASCII_WORD).decode().split() if text.isascii() else _TOKEN.findall(text)


def tfidf(texts: list[str]) -> sparse.csr_matrix:
    """The matrix ``TfidfVectorizer(stop_words="english", sublinear_tf=True, dtype=np.float32)
    .fit_transform(texts)`` of scikit-learn gives: the same columns and, operation for operation, the same
    float32 numbers (smoothed idf, 1 + log tf, rows scaled to unit length with the norm summed in double in
    column order). Done here with a dict and NumPy instead of a Python loop per word, and without importing
    scikit-learn (a second at every start). Texts without a word give a zero row (scikit-learn refuses when
    no text has one)."""
    counted = Words()
    counted.add(texts)
    return counted.tfidf()


class Words:
    """Texts split into words, each word numbered as first seen, a batch of texts at a time (so the helper
    process does it while the next batch is being read); ``tfidf`` is the matrix of all of them."""

    def __init__(self) -> None:
        self.number: defaultdict[str, int] = defaultdict(count().__next__)
        self.ids: list[np.ndarray] = []
        self.lengths: list[np.ndarray] = []

    def add(self, texts: list[str]) -> None:
        """Split these texts into words, numbered. The ASCII texts (most) are split as one text with a mark
        between two of them, in a fifth less time than text by text; the others (and any text holding the mark's
        character) text by text, by scikit-learn's pattern; the words are then put back in the texts' order."""
        plain = [i for i, t in enumerate(texts) if t.isascii() and _MARK not in t]
        if len(plain) == len(texts):
            ids, lengths = self._split_together(texts)
        else:
            rest = sorted(set(range(len(texts))) - set(plain))
            ids, lengths = _in_order(
                len(texts),
                (np.array(plain, dtype=np.int64), *self._split_together([texts[i] for i in plain])),
                (np.array(rest, dtype=np.int64), *self._split_each([texts[i] for i in rest])),
            )
        self.ids.append(ids)
        self.lengths.append(lengths)

    def _split_together(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """The word numbers and the number of words of ASCII texts without the mark. (The mark has one
        character: never a column of the matrix.)"""
        if not texts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        tokens = _BETWEEN.join(texts).lower().encode().translate(_ASCII_WORD_AND_MARK).decode().split()
        ids = np.fromiter(map(self.number.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        marks = np.flatnonzero(ids == self.number[_MARK])
        return np.delete(ids, marks), np.diff(np.concatenate([[-1], marks, [len(ids)]])) - 1

    def _split_each(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        split = [words(t) for t in texts]
        lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
        ids = np.fromiter(map(self.number.__getitem__, chain.from_iterable(split)), dtype=np.int64, count=int(lengths.sum()))
        return ids, lengths

    def tfidf(self) -> sparse.csr_matrix:
        return _matrix(
            self.number,
            np.concatenate([np.zeros(0, np.int64), *self.ids]),
            np.concatenate([np.zeros(0, np.int64), *self.lengths]),
        )


def _in_order(count: int, *groups: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The words of ``count`` texts split in groups, put back in the texts' order: each group is (the positions
    of its texts, their word numbers one text after the other, their numbers of words)."""
    lengths = np.zeros(count, dtype=np.int64)
    for at, _, each in groups:
        lengths[at] = each
    starts = np.cumsum(lengths) - lengths
    ids = np.empty(int(lengths.sum()), dtype=np.int64)
    for at, numbers, each in groups:
        # A group's word j, of its text k, goes to that text's start plus j's place within it.
        ids[np.repeat(starts[at] - (np.cumsum(each) - each), each) + np.arange(len(numbers))] = numbers
    return ids, lengths


def _matrix(number: dict[str, int], ids: np.ndarray, lengths: np.ndarray) -> sparse.csr_matrix:
    from scipy import sparse

    vocabulary = sorted(w for w in number if len(w) > 1 and w not in ENGLISH_STOP_WORDS)
    column = np.full(len(number), -1, dtype=np.int64)
    column[[number[w] for w in vocabulary]] = np.arange(len(vocabulary))
    cols = column[ids]
    kept = cols >= 0
    n = len(lengths)
    rows = np.repeat(np.arange(n, dtype=np.int64), lengths)[kept]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))])
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), cols[kept], indptr), shape=(n, max(len(vocabulary), 1)))
    matrix.sum_duplicates()  # the counts; also sorts each row's columns
    if not vocabulary:
        return matrix
    # TfidfTransformer(sublinear_tf=True): idf = ln((1 + n) / (1 + df)) + 1 in float32; tf = 1 + ln(count).
    idf = np.full(matrix.shape[1], n + 1, dtype=np.float32)
    idf /= np.bincount(matrix.indices, minlength=matrix.shape[1]).astype(np.float32) + np.float32(1.0)
    np.log(idf, out=idf)
    idf += np.float32(1.0)
    data = matrix.data
    np.log(data, out=data)
    data += np.float32(1.0)
    data *= idf[matrix.indices]
    # normalize(norm="l2"): per row, the squares (float32) summed in double one after the other, then each
    # value divided by the square root in double.
    norms = np.sqrt(_row_sums_in_order((data * data).astype(np.float64), matrix.indptr))
    norms[norms == 0.0] = 1.0
    matrix.data = (data / np.repeat(norms, np.diff(matrix.indptr))).astype(np.float32)
    return matrix


def _row_sums_in_order(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Each row's values summed one after the other, as ``np.cumsum(row)[-1]`` does (0.0 for an empty row),
    for all rows at once: the j-th values of the rows that have one are added in step j."""
    lengths = np.diff(indptr)
    order = np.argsort(-lengths, kind="stable")  # longest first: the rows still going are a prefix
    starts, lengths = indptr[:-1][order], lengths[order]
    sums = np.zeros(len(order), dtype=values.dtype)
    going = len(order)
    for j in range(int(lengths[0]) if len(order) else 0):
        while lengths[going - 1] <= j:
            going -= 1
        sums[:going] += values[starts[:going] + j]
    out = np.empty_like(sums)
    out[order] = sums
    return out


def main_directions(matrix: sparse.csr_matrix, dimensions: int) -> np.ndarray:
    """Words x ``dimensions``: an orthonormal basis of the main directions of the rows (a randomized truncated
    SVD, Halko, Martinsson and Tropp 2011, with one power iteration and a fixed seed, so the same input always
    gives the same basis). Computed by the helper right after the matrix, while the portal still reads."""
    words = matrix.shape[1]
    k = min(dimensions, words)
    if not matrix.nnz or not k:
        return np.zeros((words, 0), dtype=np.float32)
    sample = matrix @ np.random.default_rng(0).standard_normal((words, min(k + 8, words))).astype(np.float32)
    sample = _orthonormal(sample)
    sample = _orthonormal(np.asarray(matrix.T @ sample))
    sample = _orthonormal(np.asarray(matrix @ sample))
    _, _, directions = np.linalg.svd(np.asarray(matrix.T @ sample).T, full_matrices=False)
    return np.ascontiguousarray(directions[:k].T, dtype=np.float32)


def _orthonormal(columns: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the columns' span: Cholesky QR (one small Gram matrix, a quarter of the time of
    Householder QR on 42,000 x 56), or Householder QR when the columns are (nearly) dependent."""
    gram = (columns.T @ columns).astype(np.float64)
    try:
        factor = np.linalg.cholesky(gram)
        if np.diag(factor).min() > 1e-4 * np.diag(factor).max():
            return (columns @ np.linalg.inv(factor.T)).astype(np.float32)
    except np.linalg.LinAlgError:
        pass
    return np.linalg.qr(columns)[0]


# The floats of the dense block of papers that ``pair_dots`` looks words up in: small enough for the cache.
PAIR_DOTS_CELLS = 500_000


def pair_dots(papers: sparse.csr_matrix, reviewers: sparse.csr_matrix, row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """The dot product of paper ``row[i]`` and reviewer ``col[i]`` for each i (``row`` sorted): a few papers at a
    time as a dense array (small enough to stay in the processor's cache), each pair's reviewer words looked up
    in it, summed per pair."""
    out = np.zeros(len(row), dtype=np.float32)
    width = papers.shape[1]  # words
    block = max(1, PAIR_DOTS_CELLS // width)
    lo = 0
    while lo < len(row):
        start = int(row[lo])
        hi = int(np.searchsorted(row, start + block))
        dense = papers[start : int(row[hi - 1]) + 1].toarray().ravel()
        picked = reviewers[col[lo:hi]]
        at = np.repeat((row[lo:hi] - start) * width, np.diff(picked.indptr)) + picked.indices
        products = dense[at] * picked.data
        sums = np.concatenate([[0.0], np.cumsum(products, dtype=np.float64)])
        out[lo:hi] = sums[picked.indptr[1:]] - sums[picked.indptr[:-1]]
        lo = hi
    return out


def _serve() -> None:
    """The helper of ``affinity.TextVectors``, told what to do by lines on stdin, answering on stdout:

    - the directory of the files, first;
    - ``texts NAME``: a pickle file of texts, split into words at once (while the parent reads the next);
    - ``tfidf D``: the matrix of all the texts, in order, written to tfidf.pickle; answer ``tfidf``; then, when D
      is above 0, its D main directions (``main_directions``) written to basis.npy; answer ``basis``;
    - ``dots NAME PAPERS``: NAME.npy holds rows and columns of (paper, reviewer) pairs, the matrix's first
      PAPERS rows being the papers: their ``pair_dots`` written to NAME-dots.npy; answer ``dots NAME``;
    - an empty line, or the end of stdin: stop."""
    folder = Path(sys.stdin.readline().strip())
    if not folder.name:
        sys.exit(1)  # the parent gave up before sending anything
    from scipy import sparse  # noqa: F401 - imported while the parent still reads, not after

    counted, matrix = Words(), None
    halves: dict[int, tuple[sparse.csr_matrix, sparse.csr_matrix]] = {}
    for line in sys.stdin:
        order, *args = line.split() or [""]
        if order == "texts":
            given = folder / Path(args[0]).name
            with given.open("rb") as texts:
                counted.add(pickle.load(texts))  # noqa: S301 - written by the parent  # nosec B301
            given.unlink()  # (confidential texts: no copy left behind longer than needed)
        elif order == "tfidf":
            matrix = counted.tfidf()
            _write(folder / "tfidf.pickle", matrix)
            _answer("tfidf")
            if args and int(args[0]) > 0:
                _write(folder / "basis.npy", main_directions(matrix, int(args[0])))
                _answer("basis")
        elif order == "dots" and matrix is not None:
            name, papers = Path(args[0]).name, int(args[1])
            if papers not in halves:
                halves[papers] = (matrix[:papers], matrix[papers:])
            row, col = np.load(folder / f"{name}.npy", allow_pickle=False)
            (folder / f"{name}.npy").unlink()
            dots = pair_dots(*halves[papers], row, col)
            _write(folder / f"{name}-dots.npy", dots)
            _answer(f"dots {name}")
        else:
            return


def _write(path: Path, value: object) -> None:
    """``value`` as a NumPy file (.npy) or a pickle, written whole under a temporary name and then given its
    name: the parent never reads half a file."""
    part = path.with_name(path.name + ".part")
    with part.open("wb") as out:
        if path.suffix == ".npy":
            np.save(out, value, allow_pickle=False)
        else:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
    part.replace(path)


def _answer(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    _serve()
