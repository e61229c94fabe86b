"""The model families advisor recommends between: one registry every stage reads.

A family's traits (how simple it is, whether it is interpretable or neural,
the model to start with, the next step once chosen) live here and nowhere
else: the rule loader checks rule effects against ``NAMES``, the probe
registry orders probes by ``ORDER``, the verdict breaks ties by ``rank`` and
applies the interpretability constraint through ``interpretable``, and the
advice reads ``next_step``. Adding a family is one entry here, its probes and
its rules.

Imports nothing heavy: the CLI's start-up path reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BASELINE = "baseline"  # the trivial model every family must beat; not a family
NONE = "none"  # the verdict when no family beats the baseline


@dataclass(frozen=True)
class Family:
    name: str
    rank: int  # simplicity: practical ties go to the lowest rank
    interpretable: bool  # coefficients or feature importance a reviewer can read
    neural: bool  # trained by gradient descent in torch: epochs, a GPU helps
    starter: str  # the model to start with, for the report
    next_step: str  # what to do once this family is chosen
    # Modality-specific starting models (text, image, ...) and next steps, where the default does not fit.
    starters: dict[str, str] = field(default_factory=dict)
    next_steps: dict[str, str] = field(default_factory=dict)
    # Re-measured without leakage suspects (the classical families: cheap and fast).
    leakage_recheck: bool = False

    def starter_for(self, modality: str) -> str:
        return self.starters.get(modality, self.starter)

    def next_step_for(self, modality: str) -> str:
        return self.next_steps.get(modality, self.next_step)


_TFIDF = "TF-IDF features into a regularised logistic or ridge regression"
_PIXEL_GBDT = "LightGBM on downsampled pixels and colour/edge statistics (the classical reference)"
_EMBED_TEXT = "pretrained text embeddings (e.g. wordllama, a sentence encoder) into a regularised linear model or LightGBM"

REGISTRY: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "linear",
            0,
            interpretable=True,
            neural=False,
            starter="a regularised linear model (logistic or ridge regression) on scaled, one-hot-encoded features",
            next_step="Start with the linear model; inspect its coefficients; add interactions or splines only "
            "if residuals show structure.",
            starters={"text": _TFIDF, "mixed": _TFIDF},
            leakage_recheck=True,
        ),
        Family(
            "gbdt",
            1,
            interpretable=True,
            neural=False,
            starter="LightGBM (gradient-boosted trees) with early stopping and native categorical handling",
            next_step="Tune LightGBM (num_leaves, learning_rate, min_child_samples) on the same folds; use its "
            "feature importance (or SHAP) to explain it.",
            starters={
                "image": _PIXEL_GBDT,
                "signal": _PIXEL_GBDT,
                "audio": "LightGBM on log-mel band statistics and MFCC summaries (the classical reference)",
            },
            leakage_recheck=True,
        ),
        Family(
            "pretrained",
            2,
            interpretable=False,
            neural=False,  # frozen: no gradient training here, the representation was learnt elsewhere
            starter="a frozen pretrained representation with a simple model on top: text embeddings or an "
            "image backbone's features into a regularised linear model or LightGBM",
            next_step="Fine-tune the pretrained model on your labels (a sentence encoder for text, the image "
            "backbone with augmentation), keeping the frozen probe as the score to beat: it leads here, and "
            "fine-tuning adds most when your labels differ from what the model was pretrained on.",
            starters={
                "text": _EMBED_TEXT,
                "mixed": _EMBED_TEXT + ", next to the table's own columns",
                "image": "a pretrained CNN (e.g. ResNet-18) as a frozen feature extractor with a "
                "logistic-regression head (transfer learning)",
            },
            leakage_recheck=True,
        ),
        Family(
            "mlp",
            3,
            interpretable=False,
            neural=True,
            starter="a small MLP in PyTorch on standardised, one-hot-encoded features, with early stopping",
            next_step="Tune the MLP (width, depth, dropout, learning rate) and keep LightGBM as the reference "
            "to beat.",
        ),
        Family(
            "rnn",
            4,
            interpretable=False,
            neural=True,
            starter="a small GRU (or a 1D temporal convolution) over each entity's recent readings, next to "
            "the current row's features, with early stopping",
            next_step="Try a temporal convolution or a Transformer over longer windows, and keep LightGBM on "
            "lag and rolling-window features as the reference to beat.",
        ),
        Family(
            "cnn",
            5,
            interpretable=False,
            neural=True,
            starter="a CNN; with few images per class, fine-tune a pretrained one (e.g. ResNet-18) instead of "
            "training from scratch",
            starters={
                "audio": "a CNN on log-mel spectrograms; with few clips per class, pretrained audio embeddings "
                "(PANNs, YAMNet/VGGish, wav2vec 2.0/HuBERT for speech, BEATs, CLAP) instead of training from scratch",
                # A pixel or signal table: often a few dozen values a row (8 x 8 digits), far from the
                # photographs a pretrained image CNN was trained on.
                "signal": "a small CNN over the columns laid out as their grid (2-D where they form an image, 1-D "
                "for a signal), trained from scratch",
            },
            next_step="Fine-tune a pretrained CNN (e.g. ResNet-18) with augmentation; the from-scratch probe "
            "understates what pretraining gives on small image sets.",
            next_steps={
                "signal": "Tune the small CNN (width, depth, augmentation by small shifts) on the same folds, with "
                "LightGBM on the raw values as the reference to beat; a pretrained image CNN is worth a try only "
                "where the grid is a real image, upscaled to the size it expects."
            },
        ),
        Family(
            "transformer",
            6,
            interpretable=False,
            neural=True,
            starter="a transformer; fine-tune a pretrained one (e.g. DistilBERT) rather than training from scratch",
            next_step="Fine-tune a pretrained transformer (e.g. DistilBERT); the from-scratch probe understates "
            "what pretraining gives. Pretrained embeddings into a linear model are a cheap hybrid to try first.",
        ),
    )
}

# Simplest first: the order of ties, of rule scores and of the probe list.
NAMES: tuple[str, ...] = tuple(sorted(REGISTRY, key=lambda name: REGISTRY[name].rank))
NO_SIGNAL_STARTER = "no model yet: the data shows no usable signal"


def get(name: str) -> Family:
    return REGISTRY[name]


def rank(name: str) -> int:
    """Simplicity rank; unknown names (a plugin's family) sort after every known one."""
    family = REGISTRY.get(name)
    return family.rank if family is not None else len(REGISTRY)


def simplest(names: list[str]) -> str:
    return min(names, key=rank)


def starter(name: str, modality: str) -> str:
    if name == NONE:
        return NO_SIGNAL_STARTER
    family = REGISTRY.get(name)
    return family.starter_for(modality) if family is not None else name


def interpretable(name: str) -> bool:
    family = REGISTRY.get(name)
    return bool(family and family.interpretable)


def neural(name: str) -> bool:
    family = REGISTRY.get(name)
    return bool(family and family.neural)


def leakage_recheck() -> tuple[str, ...]:
    """Probe families re-measured without leakage suspects: the baseline and the cheap classical ones."""
    return (BASELINE, *(n for n in NAMES if REGISTRY[n].leakage_recheck))
