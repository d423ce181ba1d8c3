"""Norwegian law as dated data (``parameters/no/**.yaml``) and the pure rules built on it.

Ask the book what is in force on a day::

    from krav.law import law_book
    book = law_book()
    book.value("fees/inkassosats", date(2026, 3, 1))      # Decimal("750")
    book.regime(date(2026, 3, 1))                        # "inkl1988"
    book.gaps(date(2026, 12, 3), date(2027, 1, 2))       # days ahead without a value

``law_book()`` merges krav's data with the agency's local overlay (``KRAV_LAW_DIR``, written by
``krav law set``; see ``loader`` and ``overlay``); ``krav.law.check`` finds gaps ahead.

Quantities (file path under ``parameters/no/`` without ``.yaml``; see ``docs/law.md``):

- regimes: ``regimes/inkl1988``, ``regimes/inkl2026`` (in force: ``null`` until the King decides)
- fees (INKF ch. 1): ``fees/inkassosats``, ``fees/reminder_fraction``,
  ``fees/collection_notice_fraction``, ``fees/payment_demand_fraction`` (these three keyed by the
  claim's due date), ``fees/rounding``; ``letters/fee_bearing`` (keyed by regime)
- rules (numbers): ``rules/fee_min_days_after_due``, ``rules/min_deadline_days``,
  ``rules/max_fee_letters_before_demand``, ``rules/fee_limit_six_month_reset``,
  ``rules/salaer_tung_after_days``, ``rules/enforcement_notice_days``,
  ``rules/legal_action_within_months``, ``rules/limitation_years``,
  ``rules/limitation_after_judgment_years``, ``rules/konkurs_notice_days``,
  ``rules/konkurs_petition_within_days``
- salær (INKF ch. 2): ``salaer/bands`` (keyed by due date), ``salaer/business_factor``,
  ``salaer/no_vat_factor``, ``salaer/instalment_uplift_factor``,
  ``salaer/instalment_uplift_no_vat_factor``, ``salaer/instalment_uplift_after_instalments``,
  ``salaer/rounding``
- interest (FRL §§ 2–3): ``interest/forsinkelsesrente`` (``period: half_year``: none after
  its half-year),
  ``interest/convention``, ``interest/consumer_max_statutory``
- compensation (FRL § 3 a): ``compensation/standardkompensasjon`` (``period: half_year``),
  ``compensation/offset_against_costs``
- legal steps: ``legal/rettsgebyr``, ``legal/utlegg_fee_factor``, ``legal/forliksklage_fee_factor``,
  ``legal/konkurs_security_factor``, ``legal/fee_rounding``
- ``payments/allocation_order`` (costs → interest → principal), ``contact/hours`` (keyed by regime)
- ``vat/general_rate`` (merverdiavgiftsloven § 5-1: on the agency's commission in a settlement)
"""

from krav.law.book import Entry, LawBook, Quantity, Regime
from krav.law.loader import DEFAULT_ROOT, law_book, load_book

__all__ = ["DEFAULT_ROOT", "Entry", "LawBook", "Quantity", "Regime", "law_book", "load_book"]
