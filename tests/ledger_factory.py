"""Ledger test helpers: enterprise ids and a finding entry."""

from __future__ import annotations

from geo_screen.ledger.entries import Entry

USCC = ("91320612502415011T", "91320612MA1MXXXX0Y", "91320681MA1N000000")


def finding(uscc: str = USCC[0], value: str = "属实", **kw) -> Entry:
    """A finding entry recorded by 张三 unless ``recorded_by`` says otherwise."""
    return Entry("finding", uscc, kw.pop("recorded_by", "张三"), value=value, **kw)
