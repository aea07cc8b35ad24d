"""Risk level from impact and likelihood, through the matrix in settings.

Change requests use it, and so can any feature that rates a risk the same
way (for example policy exceptions): call ``risk_level(impact, likelihood)``.
"""

from django.conf import settings
from django.db import models


class Rating(models.TextChoices):
    """Impact or likelihood on a three-point scale."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


def risk_level(impact, likelihood, matrix=None):
    """Return the risk level that ``matrix`` gives ``impact`` and ``likelihood``.

    ``matrix`` maps impact to likelihood to risk level, for example
    ``{"high": {"low": "medium", ...}, ...}``; it defaults to the
    ``CHANGES_RISK_MATRIX`` setting. Raise ValueError naming the value when
    a rating is not on the scale or the matrix has no cell for the pair, so a
    mistyped matrix fails loudly instead of rating a change as low risk.
    """
    matrix = settings.CHANGES_RISK_MATRIX if matrix is None else matrix
    for name, value in (("impact", impact), ("likelihood", likelihood)):
        if value not in Rating.values:
            raise ValueError(
                f"Invalid {name} {value!r}; use one of {', '.join(Rating.values)}."
            )
    try:
        level = matrix[impact][likelihood]
    except KeyError:
        raise ValueError(
            f"The risk matrix has no level for impact {impact!r} and likelihood "
            f"{likelihood!r}; add it to CHANGES_RISK_MATRIX."
        ) from None
    if level not in RiskLevel.values:
        raise ValueError(
            f"The risk matrix gives {level!r} for impact {impact!r} and likelihood "
            f"{likelihood!r}; use one of {', '.join(RiskLevel.values)}."
        )
    return level
