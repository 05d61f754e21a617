"""Display helpers of the terminal tables."""

from __future__ import annotations

from decimal import Decimal

from theo.cli.tables import Column, fitted_table, price_text, short_ids

IDS = ["dc-s3894112059909552828-entry", "dc-s3894112059909552828-entry-sl", "dc-s3894198765432101234-entry",
       "zs-s1845919202731836469-entry-x3"]


def test_long_ids_are_cut_to_a_prefix_that_keeps_distinct_hashes_distinct() -> None:
    short = short_ids(IDS)
    assert short == {"dc-s3894112059909552828-entry": "dc-s389411…-entry",
                     "dc-s3894112059909552828-entry-sl": "dc-s389411…-entry-sl",
                     "dc-s3894198765432101234-entry": "dc-s389419…-entry",
                     "zs-s1845919202731836469-entry-x3": "zs-s184591…-entry-x3"}
    assert short_ids(["s1-20190211-0001", "s1-20190211-0001-sl"]) == {
        "s1-20190211-0001": "s1-20190211-0001", "s1-20190211-0001-sl": "s1-20190211-0001-sl"}


def test_prices_have_two_decimals_or_the_ticks() -> None:
    assert [price_text(Decimal("167.3")), price_text(168), price_text(Decimal("100.125")), price_text(None)] == [
        "167.30", "168.00", "100.13", ""]
    assert price_text(Decimal("0.12345"), tick=Decimal("0.0001")) == "0.1235"


def test_a_narrow_table_leaves_out_the_least_needed_columns_first() -> None:
    cols = [Column("id"), Column("status"), Column("reason", 2), Column("tif", 5), Column("type", 1)]
    rows = [{"id": "x" * 20, "status": "FILLED", "reason": "r" * 20, "tif": "DAY", "type": "MARKET"}]
    _, hidden = fitted_table(cols, rows, 60)
    assert hidden == ["reason", "tif"]
    _, hidden = fitted_table(cols, rows, 200)
    assert hidden == []
    _, hidden = fitted_table(cols, rows, 10)
    assert hidden == ["reason", "tif", "type"]  # the priority-0 columns always stay
