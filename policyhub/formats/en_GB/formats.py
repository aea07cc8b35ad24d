"""British formats with ISO dates first, so date inputs render as YYYY-MM-DD."""

from django.conf.locale.en_GB.formats import *  # noqa: F403
from django.conf.locale.en_GB.formats import DATE_INPUT_FORMATS as BRITISH_DATE_INPUTS

DATE_INPUT_FORMATS = ["%Y-%m-%d", *(f for f in BRITISH_DATE_INPUTS if f != "%Y-%m-%d")]
