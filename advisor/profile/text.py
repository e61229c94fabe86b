"""Statistics of free-text columns, on a sample of each column."""

from __future__ import annotations

import pandas as pd

from advisor.facts import ColumnProfile, TextStats
from advisor.profile.kinds import string_sample

LANGUAGE_MIN_ALPHA_SHARE = 0.6  # words rather than codes: most tokens are alphabetic


def text_stats(frame: pd.DataFrame, columns: list[ColumnProfile], n_rows: int) -> TextStats | None:
    """Fill ``mean_tokens``/``vocab_size`` on text columns; ``TextStats`` over all of them.

    ``corpus_tokens`` is an estimate: mean tokens per row times the file's rows.
    """
    text_columns = [c for c in columns if c.kind == "text"]
    if not text_columns:
        return None
    vocabulary: set[str] = set()
    total_mean = 0.0
    alpha = tokens_seen = 0
    for column in text_columns:
        sample = string_sample(frame[column.name])
        tokens = [value.lower().split() for value in sample]
        column_vocab = {t for row in tokens for t in row}
        n_tokens = sum(len(row) for row in tokens)
        column.mean_tokens = n_tokens / max(len(tokens), 1)
        column.vocab_size = len(column_vocab)
        # Missing values contribute no tokens, so the per-row mean scales by presence.
        total_mean += column.mean_tokens * (1.0 - column.missing_rate)
        vocabulary |= column_vocab
        alpha += sum(t.strip(".,;:!?\"'()").isalpha() for row in tokens for t in row)
        tokens_seen += n_tokens
    return TextStats(
        columns=[c.name for c in text_columns],
        mean_tokens=total_mean,
        vocab_size=len(vocabulary),
        corpus_tokens=int(round(total_mean * n_rows)),
        language_like=tokens_seen > 0 and alpha / tokens_seen >= LANGUAGE_MIN_ALPHA_SHARE,
    )
