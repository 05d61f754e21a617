"""`theo calendar show` and `theo calendar holidays`."""

from __future__ import annotations

from tests.integration.cli.conftest import Invoke


def test_show_a_regular_winter_day_in_et_and_utc(theo: Invoke) -> None:
    result = theo("calendar", "show", "--date", "2026-11-02")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "XNYS 2026-11-02 (Monday)",
        "  pre-market:   04:00–09:30 ET   (2026-11-02 09:00–14:30 UTC)",
        "  regular:      09:30–16:00 ET   (2026-11-02 14:30–21:00 UTC)",
        "  post-market:  16:00–20:00 ET   (Mon 2026-11-02 21:00 – Tue 2026-11-03 01:00 UTC)",
        "early close: no",
    ]


def test_show_a_summer_day(theo: Invoke) -> None:
    out = theo("calendar", "show", "--date", "2026-03-09").stdout
    assert "  regular:      09:30–16:00 ET   (2026-03-09 13:30–20:00 UTC)" in out


def test_show_an_early_close(theo: Invoke) -> None:
    out = theo("calendar", "show", "--date", "2026-11-27").stdout
    assert "  regular:      09:30–13:00 ET   (2026-11-27 14:30–18:00 UTC)" in out
    assert "  post-market:  13:00–17:00 ET   (2026-11-27 18:00–22:00 UTC)" in out
    assert "early close: yes (regular session ends 13:00 ET)" in out


def test_show_a_holiday_and_the_next_session(theo: Invoke) -> None:
    out = theo("calendar", "show", "--date", "2026-11-26").stdout.splitlines()
    assert out[1] == "closed: holiday (Thanksgiving)"
    assert out[2] == ("next session: 2026-11-27 (Friday), regular session opens Fri 2026-11-27 09:30 ET "
                      "(2026-11-27 14:30 UTC)")


def test_show_a_weekend(theo: Invoke) -> None:
    out = theo("calendar", "show", "--date", "2026-03-08").stdout.splitlines()
    assert out[1] == "closed: weekend"
    assert out[2].startswith("next session: 2026-03-09 (Monday)")


def test_show_cme_holiday_halt(theo: Invoke) -> None:
    out = theo("calendar", "show", "--date", "2026-01-19", "--calendar", "CME_EQUITY").stdout.splitlines()
    assert out[1] == "  globex:       Sun 2026-01-18 18:00 – Mon 2026-01-19 13:00 ET"
    assert out[2] == "                (Sun 2026-01-18 23:00 – Mon 2026-01-19 18:00 UTC)"
    assert max(len(line) for line in out) <= 100  # fits a 100-column terminal
    assert out[3] == "early close: yes (halt 13:00 ET; NYSE holiday: Dr. Martin Luther King Jr. Day)"


def test_calendar_defaults_to_the_config(theo: Invoke) -> None:
    result = theo("calendar", "show", "--date", "2026-01-19", env={"THEO__MARKET__CALENDAR": "CME_EQUITY"})
    assert result.stdout.startswith("CME_EQUITY 2026-01-19")


def test_holidays_of_2027(theo: Invoke) -> None:
    result = theo("calendar", "holidays", "--year", "2027")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "XNYS 2027"
    assert "  2027-12-24 Fri  Christmas" in lines
    assert "  2027-07-05 Mon  July 4th" in lines
    assert lines[-2:] == ["early closes:", "  2027-11-26 Fri  closes 13:00 ET (2027-11-26 18:00 UTC)"]


def test_holidays_cme(theo: Invoke) -> None:
    out = theo("calendar", "holidays", "--year", "2026", "--calendar", "CME_EQUITY").stdout
    assert "  2026-04-03 Fri  Good Friday" in out
    assert "  2026-07-03 Fri  closes 13:00 ET (2026-07-03 17:00 UTC)  (NYSE holiday: July 4th)" in out


def test_bad_input_gives_a_message_not_a_traceback(theo: Invoke) -> None:
    bad_date = theo("calendar", "show", "--date", "27/11/2026")
    assert bad_date.exit_code == 2
    assert "--date '27/11/2026' is not a date; use YYYY-MM-DD" in bad_date.stderr
    old = theo("calendar", "holidays", "--year", "1980")
    assert old.exit_code == 2
    assert "outside the calendar range 1990–2030" in old.stderr
    assert old.stdout == ""
