"""Copies and near-duplicates: each kind of copy joins its story, each look-alike does not.

The fixtures are written for these tests after the shapes seen in BBC and Reuters (a wire
story, its re-publications, templated earnings reports); no article is copied."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from searchkit.duplicates import (
    DEFAULT_THRESHOLD,
    FORMAT_VERSION,
    DuplicateClusters,
    DuplicateSettings,
    exact_hash,
    normalise,
    shingles,
    signature_of,
    similarity,
)

WIRE = "\n\n".join(
    [
        "Harbour council approves new ferry terminal",
        "The Eastport harbour council voted on Tuesday to approve a new ferry terminal on the "
        "north quay, ending two years of argument over the cost of the project and its effect "
        "on the fishing fleet that moors there.",
        "The terminal, expected to cost 48 million pounds, will be paid for by the regional "
        "transport fund and a loan from the port authority, council leader Miriam Okafor told "
        "reporters after the vote.",
        "Fishing groups had opposed the plan, saying the new berths would push their boats to "
        "the shallower south side of the harbour, where they cannot land catches at low tide.",
        "Under the approved plan, the council will dredge the south basin before building "
        "starts next spring and guarantee the fleet six berths on the north quay for ten years.",
        "Work is due to finish in the summer of the following year, when the first services to "
        "the islands are planned to start from the new building.",
    ]
)
PARAS = WIRE.split("\n\n")

LOOK_ALIKE = "\n\n".join(
    [
        "Harbour council delays vote on ferry terminal",
        "Councillors in Eastport postponed a decision on the proposed ferry terminal on Thursday "
        "after the fishing association asked for more time to study a report on tides.",
        "The chair of the planning committee said members wanted answers about dredging costs "
        "and would meet again in a month; campaigners outside the town hall welcomed the delay.",
        "The port authority, which would lend part of the money, declined to comment on whether "
        "its offer would still stand if the vote slipped into the next financial year.",
        "Local businesses on the north quay have been divided, with cafe owners hoping for more "
        "visitors and boatyards fearing they will lose space.",
    ]
)


def earnings(company: str, shr: str, prev: str, net: str, prev_net: str, revs: str, prev_revs: str) -> str:
    """A templated quarterly earnings report, as the wires send hundreds a day."""
    return (
        f"{company} 1ST QTR NET\n\nShr {shr} cts vs {prev} cts\n\nNet {net} mln vs {prev_net} mln\n\n"
        f"Revs {revs} mln vs {prev_revs} mln\n\nNOTE: Company said results for the quarter include "
        f"a gain on the sale of a unit. Reuter"
    )


def sig(text: str):
    return signature_of(text)


def copies_of(text: str) -> dict[str, str]:
    """One copy of each kind the issue names."""
    words = text.split(" ")
    edited = list(words)
    for i, new in ((12, "said"), (40, "new"), (77, "also")):
        edited[i] = new
    return {
        "exact_spacing": "  " + text.replace(". ", ".  ").upper(),
        "boilerplate": "\n\n".join(
            ["Home | News | Local | Sport", *PARAS, "Share this story: Facebook Twitter Email",
             "Copyright The Valley Gazette. All rights reserved."]
        ),
        "headline": "\n\n".join(["Ferry terminal gets green light after two-year row", *PARAS[1:]]),
        "paragraph_added": "\n\n".join(
            PARAS[:3] + ["A spokesman for the ferry operator said timetables would be published in the autumn."] + PARAS[3:]
        ),
        "paragraph_removed": "\n\n".join(PARAS[:3] + PARAS[4:]),
        "words_edited": " ".join(edited),
        "wire_plus_local": "\n\n".join(
            [*PARAS, "In Westbury, where many islanders do their shopping, traders said a faster crossing "
             "would bring more customers, though some worried about parking near the quay."]
        ),
    }


def test_normalise_keeps_words_and_numbers_only() -> None:
    assert normalise("Shr 1.20 DLRS vs  “98 cts”,\n\nNet") == "shr 1 20 dlrs vs 98 cts net"
    assert exact_hash("A  b, C.") == exact_hash("a b c")
    assert exact_hash("a b c") != exact_hash("a b d")


def test_shingles_of_short_text_is_the_text() -> None:
    assert shingles("Oil up", 4) == {"oil up"}
    assert shingles("", 4) == set()
    assert shingles("one two three four five", 4) == {"one two three four", "two three four five"}


@pytest.mark.parametrize("kind", list(copies_of(WIRE)))
def test_each_kind_of_copy_joins_the_story(kind: str) -> None:
    copy = copies_of(WIRE)[kind]
    assert similarity(sig(WIRE), sig(copy)) >= DEFAULT_THRESHOLD, kind
    clusters = DuplicateClusters()
    first = clusters.add("wire", sig(WIRE), date="2026-03-02", length=len(WIRE))
    other = clusters.add("other", sig(LOOK_ALIKE), date="2026-03-05", length=len(LOOK_ALIKE))
    assert clusters.add(kind, sig(copy), date="2026-03-03", length=len(copy)) == first
    assert first != other
    assert clusters.members(first) == ["wire", kind]  # earliest date represents the story


def test_same_topic_different_story_does_not_merge() -> None:
    assert similarity(sig(WIRE), sig(LOOK_ALIKE)) < DEFAULT_THRESHOLD
    clusters = DuplicateClusters()
    assert clusters.add("a", sig(WIRE)) != clusters.add("b", sig(LOOK_ALIKE))


def test_templated_earnings_of_two_companies_do_not_merge() -> None:
    first = earnings("ACME TOOLS", "42", "37", "12.4", "10.9", "301.2", "288.7")
    second = earnings("BRISTOW MILLS", "18", "25", "3.1", "4.6", "95.0", "99.3")
    assert similarity(sig(first), sig(second)) < DEFAULT_THRESHOLD
    clusters = DuplicateClusters()
    assert clusters.add("a", sig(first)) != clusters.add("b", sig(second))


def test_a_corrected_earnings_report_is_a_copy() -> None:
    """A re-sent report with one figure corrected is the same story."""
    first = earnings("ACME TOOLS", "42", "37", "12.4", "10.9", "301.2", "288.7")
    corrected = "CORRECTED - " + earnings("ACME TOOLS", "42", "37", "12.4", "10.9", "310.2", "288.7")
    clusters = DuplicateClusters()
    assert clusters.add("a", sig(first)) == clusters.add("b", sig(corrected))


def test_a_short_brief_inside_a_long_story_is_not_containment() -> None:
    """Containment counts only for texts with enough shingles: a headline-sized text inside
    a story says nothing about it being the same story."""
    brief = PARAS[0]
    assert similarity(sig(brief), sig(WIRE)) < DEFAULT_THRESHOLD


def test_representative_is_earliest_date_else_longest() -> None:
    clusters = DuplicateClusters()
    c = clusters.add("late", sig(WIRE), date="2026-03-05", length=len(WIRE))
    clusters.add("early", sig(copies_of(WIRE)["headline"]), date="2026-03-01", length=10)
    clusters.add("undated", sig(copies_of(WIRE)["boilerplate"]), length=10_000)
    assert clusters.representative(c) == "early"
    undated = DuplicateClusters()
    c = undated.add("short", sig(copies_of(WIRE)["paragraph_removed"]), length=100)
    undated.add("long", sig(copies_of(WIRE)["wire_plus_local"]), length=900)
    assert undated.representative(c) == "long"


def test_incremental_join_keeps_cluster_ids_and_remove_moves_the_representative() -> None:
    clusters = DuplicateClusters()
    story = clusters.add("wire", sig(WIRE), date="2026-03-02")
    other = clusters.add("other", sig(LOOK_ALIKE), date="2026-03-01")
    for i, (kind, text) in enumerate(copies_of(WIRE).items()):
        assert clusters.add(kind, sig(text), date=f"2026-03-0{i + 2}") == story
    assert clusters.cluster_of("other") == other
    assert len(clusters.members(story)) == 8
    clusters.remove("wire")
    assert clusters.representative(story) == "exact_spacing"
    # re-adding an article replaces it rather than counting it twice
    clusters.add("headline", sig(copies_of(WIRE)["headline"]), date="2026-03-01")
    assert clusters.representative(story) == "headline"
    assert len(clusters.members(story)) == 7


def test_save_and_load_round_trip_then_keep_joining(tmp_path: Path) -> None:
    settings = DuplicateSettings(threshold=0.7)
    clusters = DuplicateClusters(settings)
    story = clusters.add("wire", sig(WIRE), date="2026-03-02", info={"site": "wire.example", "url": "https://w/1"})
    clusters.add("copy", sig(copies_of(WIRE)["boilerplate"]), date="2026-03-03", info={"site": "gazette.example"})
    clusters.add("other", sig(LOOK_ALIKE))
    clusters.save(tmp_path / "duplicates")

    loaded = DuplicateClusters.load(tmp_path / "duplicates")
    assert loaded.settings == settings
    assert loaded.clusters() == clusters.clusters()
    assert loaded.add("late", sig(copies_of(WIRE)["words_edited"]), date="2026-03-04") == story
    assert loaded.add("new", sig(earnings("ACME", "1", "2", "3", "4", "5", "6"))) not in (story, loaded.cluster_of("other"))
    table = loaded.table()
    assert table["clusters"][0][0] == {"article_id": "wire", "date": "2026-03-02", "site": "wire.example", "url": "https://w/1"}
    assert table["cluster_of"]["late"] == table["cluster_of"]["wire"]
    assert "other" not in table["cluster_of"]  # a story with no copy is not in the table


def test_load_of_another_version_is_refused(tmp_path: Path) -> None:
    clusters = DuplicateClusters()
    clusters.add("wire", sig(WIRE))
    clusters.save(tmp_path)
    members = tmp_path / json.loads((tmp_path / "current.json").read_text())["files"]["members"]
    members.write_text(members.read_text().replace(f'"version":{FORMAT_VERSION}', '"version":99', 1))
    with pytest.raises(ValueError, match="version 99"):
        DuplicateClusters.load(tmp_path)


def test_query_path_does_not_import_datasketch() -> None:
    """Signatures are an ingest matter: the query path must not pay numpy/datasketch's import."""
    code = (
        "import sys, searchkit, searchkit.search, searchkit.render\n"
        "print('HEAVY=' + ','.join(sorted(m for m in sys.modules if m.split('.')[0] in {'datasketch', 'numpy', 'scipy'})))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip().splitlines()[-1] == "HEAVY=", r.stderr


# -- template notices: the shapes of wire dividend and daily-operation notices (invented) ----

def payout(fund: str, cents: str, record: str) -> tuple[str, str]:
    """(headline, body) of a fund's monthly payout notice: one template, the fund named only in
    the headline and the closing note."""
    return (f"NORTHWIND {fund.upper()} FUND SETS PAYOUT",
            f"Mthly div {cents} cts vs {cents} cts prior\n\nPay April 30\n\nRecord April {record}\n\n"
            f"NOTE: Northwind {fund} Income Fund.\n\nReuter")


def operation(amount: str, rate: str) -> tuple[str, str]:
    """(headline, body) of a central bank's daily market operation: one headline every day,
    only the amount and the rate change."""
    return ("CENTRAL BANK ADDS RESERVES VIA REPURCHASES",
            f"The central bank entered the government securities market to arrange {amount} billion "
            f"dlrs of customer repurchase agreements, a bank spokesman said.\n\nDealers said overnight "
            f"funds were trading at {rate} pct when the bank began its temporary and indirect supply "
            "of reserves to the banking system.\n\nReuter")


def notice_sig(notice: tuple[str, str]):
    return signature_of(notice[1], title=notice[0])


def test_two_funds_payout_notices_are_two_stories() -> None:
    clusters = DuplicateClusters()
    one = clusters.add("municipal", notice_sig(payout("Municipal", "6.4", "15")), date="2026-04-02T14:30:00")
    assert clusters.add("harbour", notice_sig(payout("Harbour", "6.4", "15")), date="2026-04-02T14:31:00") != one


def test_one_template_with_other_amounts_is_two_stories() -> None:
    clusters = DuplicateClusters()
    one = clusters.add("monday", notice_sig(operation("1.5", "6-3/16")), date="2026-04-06T11:45:00")
    assert clusters.add("tuesday", notice_sig(operation("2.5", "6-1/4")), date="2026-04-07T11:45:00") != one
    # the same text far longer: a copy in its words, still another story (the figures say so)
    head, body = operation("1.5", "6-3/16")
    text = body + "\n\n" + " ".join(["The operation was in line with what dealers had expected."] * 12)
    other = body.replace("1.5 billion", "3.0 billion") + "\n\n" + " ".join(
        ["The operation was in line with what dealers had expected."] * 12)
    assert similarity(signature_of(text, title=head), signature_of(other, title=head)) >= DEFAULT_THRESHOLD
    long = DuplicateClusters()
    assert long.add("a", signature_of(text, title=head)) == long.add("b", signature_of(other, title=head))


def test_a_daily_notice_does_not_chain_across_weeks() -> None:
    """One text sent day after day: each day joins only a story that still spans a week."""
    clusters = DuplicateClusters()
    days = [f"2026-04-{d:02d}T11:45:00" for d in range(1, 29)]
    ids = [clusters.add(f"day{i}", notice_sig(operation("1.5", "6")), date=day) for i, day in enumerate(days)]
    assert len(set(ids)) >= 4
    for cluster in set(ids):
        dates = sorted(days[int(a.removeprefix("day"))] for a in clusters.members(cluster))
        assert (int(dates[-1][8:10]) - int(dates[0][8:10])) <= 7


def test_a_resent_or_corrected_notice_is_a_copy() -> None:
    head, body = payout("Municipal", "6.4", "15")
    clusters = DuplicateClusters()
    story = clusters.add("first", notice_sig((head, body)), date="2026-04-02T14:30:00")
    # re-sent: the headline loses its ticker-like mark and gains (RPT); the body is the same
    assert clusters.add("resent", notice_sig(("(RPT) " + head.replace("NORTHWIND ", "NORTHWIND <NWF> "), body)),
                        date="2026-04-02T16:10:00") == story
    # corrected: another figure, marked as a correction of the same story
    assert clusters.add("corrected", notice_sig(("CORRECTED - " + head, body.replace("Record April 15", "Record April 16"))),
                        date="2026-04-03T09:00:00") == story
    # sent again a month later: another month's payout, not a copy
    assert clusters.add("next-month", notice_sig((head, body)), date="2026-05-04T14:30:00") != story


def test_the_rule_keeps_its_shape_through_save_and_load(tmp_path: Path) -> None:
    clusters = DuplicateClusters()
    story = clusters.add("first", notice_sig(payout("Municipal", "6.4", "15")), date="2026-04-02T14:30:00")
    clusters.save(tmp_path)
    loaded = DuplicateClusters.load(tmp_path)
    assert loaded.add("harbour", notice_sig(payout("Harbour", "6.4", "15")), date="2026-04-02T14:35:00") != story
    assert loaded.add("resent", notice_sig(payout("Municipal", "6.4", "15")), date="2026-04-02T17:00:00") == story
    assert loaded.add("late", notice_sig(payout("Municipal", "6.4", "15")), date="2026-04-20T17:00:00") != story


def test_a_new_figure_found_elsewhere_in_the_other_notice_still_differs() -> None:
    """Two days' operations, aligned figure by figure: the amount and the rate changed, and the
    new rate's figures (5, 16) are in the other day's text too, so only the order tells."""
    clusters = DuplicateClusters()
    monday = clusters.add("monday", notice_sig(operation("2.5", "6-3/16")), date="2026-04-06T11:45:00")
    assert clusters.add("wednesday", notice_sig(operation("two", "6-5/16")), date="2026-04-08T11:45:00") != monday


def test_a_resent_notice_with_a_figure_added_is_a_copy() -> None:
    """Aligned, a figure only added (a time, a copyright year) is no substitution: a same-day
    re-send of a short notice is one story."""
    head, body = operation("1.5", "6-3/16")
    clusters = DuplicateClusters()
    story = clusters.add("first", notice_sig((head, body)), date="2026-04-08T11:45:00")
    resent = (head, body.replace("Reuter", "Sent 1145 EDT\n\nReuter"))
    assert clusters.add("resent", notice_sig(resent), date="2026-04-08T12:20:00") == story
    assert signature_of("Net 12 mln vs 9 mln", title="ACME 1ST QTR NET").figures == ("1st", "12", "9")
