"""The fair comparison with the country: funnel limits against a hand-computed example, the
verdict, its Danish sentence, and where they are shown (year page, municipality page, map
tooltip, mail)."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest
from danmarkskort.domain import comparison
from danmarkskort.domain.comparison import LEVELS, funnel_at, limits, sentence, verdict

from tests.figures_support import make_doc
from tests.unit.test_render import render, text


def figure(n: int, omgjort: int, **kw):
    doc = make_doc(years=(2024,))
    f = next(f for f in doc.figures if not f.is_national)
    return dataclasses.replace(
        f,
        realitetsbehandlede=n,
        aendret_ophaevet=omgjort,
        hjemvist=0,
        stadfaestet=n - omgjort,
        omgoerelsesprocent=100.0 * omgjort / n if n else None,
        **kw,
    )


def test_limits_match_a_hand_computed_example() -> None:
    """n = 10, p = 50 %, 95 %: P(X <= 1) = 11/1024 < 0.025 <= P(X <= 2) = 56/1024, so r = 2
    and a = (56/1024 - 0.025) / (45/1024) = 0.67556: the lower limit is (2 - a) / 10. The
    upper: P(X <= 7) = 968/1024 < 0.975 <= P(X <= 8) = 1013/1024, r = 8,
    a = (1013/1024 - 0.975) / (45/1024) = 0.32444, limit (8 - a) / 10."""
    lim = limits(10, 50.0, 0.95)
    assert lim.low == pytest.approx(100 * (2 - (56 / 1024 - 0.025) / (45 / 1024)) / 10)
    assert lim.high == pytest.approx(100 * (8 - (1013 / 1024 - 0.975) / (45 / 1024)) / 10)
    assert (round(lim.low, 3), round(lim.high, 3)) == (13.244, 76.756)


def test_the_binomial_is_exact_where_a_normal_approximation_would_not_be() -> None:
    # n = 20, p = 10 %: P(X = 0) = 0.9^20 = 0.1216 > 0.001, so the 99.8 % lower limit is 0.
    assert limits(20, 10.0, 0.998).low == 0.0
    upper = limits(20, 10.0, 0.998).high
    cdf = 0.0
    for k in range(21):
        cdf += math.comb(20, k) * 0.1**k * 0.9 ** (20 - k)
        if cdf >= 0.999:
            break
    # The limit lies between k - 1 and k successes, as the interpolation promises.
    assert (k - 1) / 20 * 100 <= upper <= k / 20 * 100


def test_the_funnel_narrows_with_more_cases_and_holds_the_national_rate() -> None:
    widths = [funnel_at(n, 35.0)[1].high - funnel_at(n, 35.0)[1].low for n in (20, 80, 320, 1280)]
    assert widths == sorted(widths, reverse=True)
    for n in (20, 200, 2000):
        l95, l998 = funnel_at(n, 35.0, LEVELS)
        assert l998.low <= l95.low <= 35.0 <= l95.high <= l998.high


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one case"):
        limits(0, 30.0, 0.95)
    with pytest.raises(ValueError, match="percentage"):
        limits(10, 130.0, 0.95)
    with pytest.raises(ValueError, match="level"):
        limits(10, 30.0, 1.0)


def test_verdicts() -> None:
    national = figure(5000, 1750)  # 35 %
    assert verdict(figure(100, 35), national) == "inden_for"
    assert verdict(figure(100, 60), national) == "over"  # 60 % of 100: far outside
    assert verdict(figure(100, 15), national) == "under"
    assert verdict(figure(5, 4), national) == "inden_for"  # 80 % of 5: chance can do that
    assert verdict(figure(0, 0), national) is None
    assert verdict(figure(100, 35), dataclasses.replace(national, omgoerelsesprocent=None)) is None


def test_the_sentence_is_about_chance_not_a_verdict_on_the_case_handling() -> None:
    over = sentence("over", "Hele landet")
    assert over.startswith("Procenten er højere, end tilfældigheder alene normalt giver")
    assert "landets procent" in over and "99,8 %-grænsen" in over
    assert "det handler kun om de sager, der blev klaget over" in over
    for word in ("dårlig", "fejl", "kvalitet"):
        assert word not in over
    assert "lavere" in sentence("under", "Hele landet")
    assert sentence("inden_for", "Hele landet").startswith("Forskellen fra landets procent er")
    partial = sentence("over", "De 12 kommuner i udtrækket")
    assert "procenten for de 12 kommuner i udtrækket" in partial
    assert sentence(None, "Hele landet") == ""


@pytest.fixture(scope="module")
def site():
    return render()


def test_each_map_on_the_year_page_has_a_funnel_with_every_municipality_with_cases(site) -> None:
    page = text(site, "2024/index.html")
    funnels = re.findall(r'<svg class="tragt".*?</svg>', page, re.S)
    assert len(funnels) == 3
    points = re.findall(r'<g class="punkt ([a-z_]+)( lavn)?" tabindex="0" role="img"', funnels[0])
    table = page[page.index("<table>") : page.index("</table>")]
    with_cases = len(re.findall(r'<tr(?: class="lavn-raekke")?><th scope="row">', table)) - len(
        re.findall(r"<td class=\"tal\">–</td><td class=\"tal\">0</td>", table)
    )
    assert len(points) == with_cases
    assert {p for p, _ in points} <= {"over", "under", "inden_for"}
    # The table says the same verdict for each municipality.
    assert "Ud over tilfældighed?" in table
    assert table.count("<td>inden for</td>") == sum(p == "inden_for" for p, _ in points)
    assert "Sådan læser du figuren" in page


def test_municipality_page_and_tooltip_carry_the_sentence(site) -> None:
    page = " ".join(text(site, "kommune/101-koebenhavn.html").split())
    assert page.count('<p class="sammenligning">') == 3
    snippet = text(site, "2024/kort/socialomraadet.html")
    assert any(s in snippet for s in comparison.SHORT.values())


def test_reading_guide_explains_the_comparison(site) -> None:
    guide = " ".join(text(site, "laesevejledning.html").split())
    assert 'id="sammenligning"' in guide
    assert "Spiegelhalter" in guide and "binomialfordeling" in guide
    assert "Det siger sætningen ikke:" in guide


def test_the_mail_says_the_sentence_for_each_area_in_both_parts() -> None:
    from tests.unit.test_mail_compose import context, mail_for

    _, msg = mail_for(context(), "101")  # København: cases in every area
    said = [sentence(v, "Hele landet") for v in ("over", "under", "inden_for")]
    for part in ("plain", "html"):
        body = " ".join(msg.get_body((part,)).get_content().split())
        assert sum(body.count(s) for s in said) == 3, part  # one per area


@pytest.mark.parametrize(("omgjort", "n"), [(0, 1), (1, 1), (3, 7), (24, 129), (0, 50), (50, 50)])
def test_the_pooled_interval_is_the_one_every_figure_has(omgjort: int, n: int) -> None:
    from danmarkskort.compute.rates import wilson_interval

    low, high = wilson_interval([omgjort], [n])
    assert comparison.wilson(omgjort, n) == pytest.approx((low[0], high[0]))
    assert comparison.wilson(0, 0) is None


def test_pooled_years_add_counts_not_rates() -> None:
    p = comparison.pooled([figure(4, 1, aar=2022), figure(0, 0, aar=2023), figure(16, 9, aar=2024)])
    assert p is not None and p.years == (2022, 2024) and (p.omgjort, p.n) == (10, 20)
    assert p.rate == 50.0  # not the mean of 25 % and 56 %
    assert comparison.pooled([figure(4, 1, aar=2024)]) is None


def test_a_municipality_with_few_cases_shows_the_last_three_years_together() -> None:
    doc = make_doc(years=(2021, 2022, 2023, 2024))
    s = render(doc)
    for code, slug in (("825", "laesoe"), ("101", "koebenhavn")):
        page = " ".join(text(s, f"kommune/{code}-{slug}.html").split())
        few = [
            f
            for f in doc.figures
            if f.kommunekode == code and f.aar == 2024 and f.lav_n and f.realitetsbehandlede
        ]
        shown = page.count('<p class="samlet"><strong>2022–2024 samlet:</strong>')
        assert shown == len(few), code  # only beside a newest year of few cases
    laesoe = " ".join(text(s, "kommune/825-laesoe.html").split())
    assert re.search(
        r"2022–2024 samlet:</strong> \d+ % af [\d.]+ sager \(95 %-usikkerhedsinterval \d+–\d+ %\)",
        laesoe,
    ), laesoe[laesoe.find("samlet") - 200 : laesoe.find("samlet") + 200]
