"""Locale format overrides: date inputs render as ISO dates (YYYY-MM-DD).

Browsers accept only an ISO value in an ``<input type="date">``; the British
locale's first input format (DD/MM/YYYY) would leave prefilled dates empty.
"""
