"""The figure normaliser and the figure checks, with the measured quality on the
hand-written test set (tests/data, scored by tests/figure_quality.py)."""

import json

import pytest

from pipeline.figures import extract, parse_chinese_number, same_figure
from pipeline.grounding import check_grounded, check_parity
from tests import figure_quality


def one(text: str):
    found = extract(text)
    assert len(found) == 1, f"{text!r} -> {[f.text for f in found]}"
    return found[0]


EQUAL = [
    ("1.4 萬億美元", "$1.4 trillion"),
    ("1.4兆美元", "$1.4 trillion"),
    ("1.4 trillion US dollars", "US$1.4tn"),
    ("1.4万亿美元", "1.4 萬億美元"),
    ("5000億美元", "$500 billion"),
    ("5000亿美元", "500 billion dollars"),
    ("9億", "900 million"),
    ("９億", "9亿"),
    ("10吉瓦", "10 GW"),
    ("10 gigawatts", "10吉瓦"),
    ("1 000兆瓦", "1 GW"),
    ("百分之四十", "40%"),
    ("４０％", "40 percent"),
    ("10倍", "10x"),
    ("tenfold", "10倍"),
    ("三倍", "tripled"),
    ("翻倍", "doubled"),
    ("雙倍", "double"),
    ("2025年4月30日", "April 30, 2025"),
    ("2025-04-30", "30 April 2025"),
    ("2030 年", "2030"),
    ("两年", "two years"),
    ("兩年", "2 years"),
    ("一百萬", "one million"),
    ("一千四百", "1,400"),
    ("第一季度", "Q1"),
    ("第一季度", "first quarter"),
    ("12 个月", "12 months"),
    ("90天", "90-day"),
    ("第175名", "175th"),
    ("人民幣100元", "RMB 100"),
    ("1.35 萬億美元", "$1.4 trillion"),  # rounding to the coarser figure's last digit
    ("70.9%", "71%"),
]
DIFFERENT = [
    ("5000億美元", "$5 trillion"),
    ("5000億美元", "5萬億美元"),
    ("9億", "9 billion"),
    ("10吉瓦", "10 MW"),
    ("1300億美元", "1300億元"),  # USD is not CNY
    ("40%", "38%"),  # trailing zeros are written digits, not rounding
    ("100億美元", "$13.5 billion"),
    ("10倍", "10%"),
    ("12 个月", "12 weeks"),
    ("2025年", "2024"),
    ("70.9%", "72%"),
    ("1.4 萬億美元", "$1.5 trillion"),
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_same_figure_in_different_renderings(a, b):
    assert same_figure(one(a), one(b)), (one(a), one(b))


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_figures_never_match(a, b):
    assert not same_figure(one(a), one(b)), (one(a), one(b))


@pytest.mark.parametrize(
    ("text", "value"),
    [("一千四百", 1400), ("兩", 2), ("三十", 30), ("一萬億", 1e12), ("十", 10), ("四十五", 45)],
)
def test_chinese_numerals(text, value):
    assert parse_chinese_number(text)[0] == value


@pytest.mark.parametrize(
    "text",
    [
        "1.AGI 的目标是确保它能够惠及所有人类",  # list numbering
        "GPT-4o 比 GPT-4 便宜，M365 和 o3 也是",  # numbers glued to names
        "https://x.com/sama/status/1986514377470845007",  # inside a URL
        "數千億美元的投資",  # vague amount
        "這是唯一的辦法，也是之一",  # 一 as a word
        "千萬不要，萬一出錯",  # 千萬 / 萬一 as words
        "OpenAI 是其中之一",
    ],
)
def test_things_that_are_not_figures(text):
    assert extract(text) == []


def test_units_kinds_and_ranges():
    assert [(f.value, f.unit) for f in extract("六到八周")] == [(6, "week"), (8, "week")]
    assert [(f.value, f.unit) for f in extract("3-5 年")] == [(3, "year-span"), (5, "year-span")]
    assert one("2030年").unit == "year" and one("兩年").unit == "year-span"
    assert one("4億週活躍用戶").unit == ""  # 週 of "weekly active" is not a week
    assert one("$13.5 billion").kind == "money"


def test_direction_is_read_from_nearby_words():
    assert one("成本每年下降约10倍").direction == -1
    assert one("the price rose 150x").direction == 1
    assert one("AWS 占有 40% 的份額").direction == 0


def test_grounded_accepts_the_source_figures_and_rounding():
    source = "OpenAI 持有約 1300 億美元股權，微軟從 10 億美元投資加注到 100 億。"
    assert check_grounded("持有约1300亿美元股权，投资从10亿美元增至100亿美元", source) == []
    assert check_grounded("holds about $130 billion; from $1 billion to $10 billion", source) == []


def test_grounded_names_an_invented_figure_with_its_reading():
    (problem,) = check_grounded(
        "Stargate is a $5 trillion plan", "推動 5000億美元 的 Stargate 計劃"
    )
    assert problem.check == "grounded" and problem.figure == "$5 trillion"
    assert "5 trillion USD" in problem.message


def test_a_flipped_change_is_a_direction_problem():
    (problem,) = check_grounded("AI costs rise about 10x a year", "AI 的使用成本每年下降约 10 倍")
    assert problem.check == "direction" and "10x" in problem.message


def test_parity_between_languages():
    assert (
        check_parity("收入超过200亿美元，计划到2030年", "revenue above $20 billion, by 2030") == []
    )
    problems = check_parity("用户达9亿", "users reached 9 billion")
    assert {p.check for p in problems} == {"parity"} and len(problems) == 2


def test_test_set_is_well_formed():
    triples = figure_quality.load("figure_triples.jsonl")
    variants = figure_quality.load("figure_corrupted.jsonl")
    assert len(triples) >= 80 and len(variants) >= 40
    assert all(
        v["corruption"] in {"wrong_scale", "wrong_unit", "swapped", "invented", "dropped_negation"}
        for v in variants
    )
    for v in variants:
        base = triples[v["of"]]
        changed = {"zh": v["zh"] != base["zh"], "en": v["en"] != base["en"]}
        expected = {"zh": v["side"] in ("zh", "both"), "en": v["side"] in ("en", "both")}
        assert changed == expected, v
    for t in triples:  # every source phrase is verbatim from its cleaned article
        assert t["source"] in figure_quality.source(t["doc"])[0], t["source"]


def test_figures_quality_on_the_test_set():
    """Recall on corrupted variants >= 0.95, and no false alarm on the correct triples."""
    score = figure_quality.score()
    alarms = [(t["zh"], [p.message for p in found]) for t, found in score.false_alarms]
    assert alarms == []
    print(
        json.dumps(
            {
                "recall": round(score.recall, 3),
                "precision": round(score.precision, 3),
                "caught": dict(score.caught),
                "of": dict(score.corrupted),
            }
        )
    )
    assert score.recall >= 0.95
