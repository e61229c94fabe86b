"""Sequence tables: many readings of each entity over time.

A sensor log (one row per device per minute), sessions (events per user), prices
of many tickers: rows keyed by an entity and ordered by a time column, with
several readings per entity. ``order.py`` finds the two columns; this module
decides whether together they make a sequence table, and at which level the
task is defined:

- ``is a sequence``: a time order and a repeated entity, both found (or given),
  in different columns, with a median of at least ``MIN_READINGS`` distinct
  times per entity (a signup date repeated on every row of a customer is not a
  timeline) and at least ``MIN_ENTITIES`` entities;
- ``level``: "entity" when the target is constant within at least
  ``ENTITY_LEVEL_SHARE`` of the entities with two or more labelled readings
  (a device's failure flag on every one of its rows), else "row".

The modality stays what ``modality.py`` says (a table); the plan validates a
sequence forward in time ("row") or by entity ("entity"), and the sequence
probes (``probes/seq_gbdt.py``, ``probes/seq_nn.py``) window each entity's past.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from advisor.facts import SequenceInfo
from advisor.profile.order import group_codes, time_key

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

    from advisor.facts import ColumnProfile, Groups, TimeOrder

MIN_READINGS = 5  # distinct times per entity (median): fewer is a repeated row, not a timeline
MIN_ENTITIES = 2  # a single entity is a plain time series: time folds already cover it
ENTITY_LEVEL_SHARE = 0.99  # entities whose target never changes, for an entity-level task


def detect_sequence(
    frame: pd.DataFrame,
    columns: Sequence[ColumnProfile],
    target: str | None,
    order: TimeOrder | None,
    groups: Groups | None,
) -> SequenceInfo | None:
    """The sequence structure of ``frame``, or None (see the module docstring)."""
    if order is None or groups is None or groups.column in (order.column, *order.parts):
        return None
    entity = group_codes(frame[groups.column].reset_index(drop=True))
    when = time_key(frame, order, columns)
    present = ~np.isnan(when)
    if not present.any():
        return None
    readings = pd.DataFrame({"entity": entity[present], "time": when[present]})
    distinct = readings.groupby("entity", sort=False)["time"].nunique()
    if len(distinct) < MIN_ENTITIES or float(distinct.median()) < MIN_READINGS:
        return None
    lengths = pd.Series(entity).value_counts()
    return SequenceInfo(
        entity_column=groups.column,
        time_column=order.column,
        n_entities=int(len(lengths)),
        median_length=float(lengths.median()),
        max_length=int(lengths.max()),
        level="entity" if target is not None and _constant_within(frame[target], entity) else "row",
    )


def _constant_within(target: pd.Series, entity: np.ndarray) -> bool:
    """True when the target never changes within ``ENTITY_LEVEL_SHARE`` of the entities
    that have two or more labelled readings (and there is at least one such entity)."""
    labelled = pd.DataFrame({"entity": entity, "y": target.reset_index(drop=True)}).dropna()
    stats = labelled.groupby("entity", sort=False)["y"].agg(["nunique", "size"])
    repeated = stats[stats["size"] >= 2]
    return len(repeated) > 0 and float((repeated["nunique"] <= 1).mean()) >= ENTITY_LEVEL_SHARE
