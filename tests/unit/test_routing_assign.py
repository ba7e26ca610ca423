"""Who takes an inquiry: the team that fits, the agents eligible in it, and the order they are asked in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from kanal.model import CustomerContext, Priority, Reason
from kanal.routing.assign import Needs, choose_team, eligible, needs_of, rank
from kanal.routing.roster import Agent, AgentStatus, Figures, Skills, Team

X_IN_ENGLISH = Needs("x", "en")
X_IN_GERMAN = Needs("x", "de")


def agent(ident: str, **values: object) -> Agent:
    """An online agent with no skill limits and no history, unless told otherwise."""
    defaults: dict[str, object] = {"name": ident.title(), "status": AgentStatus.ONLINE}
    return Agent(id=ident, **{**defaults, **values})  # type: ignore[arg-type]


def figures(
    caseload: int = 0,
    response_seconds: float | None = None,
    csat: float | None = None,
    last_assigned_at: str = "",
) -> Figures:
    """Figures with the given averages (over ten first responses and ten ratings)."""
    return Figures(
        open_caseload=caseload,
        first_responses=10 if response_seconds is not None else 0,
        first_response_seconds=10 * response_seconds if response_seconds is not None else 0.0,
        csat_count=10 if csat is not None else 0,
        csat_total=10 * csat if csat is not None else 0.0,
        last_assigned_at=last_assigned_at,
    )


def priority(*rules: str) -> Priority:
    return Priority(score=80, band="P1", reasons=tuple(Reason(rule, "m", 10) for rule in rules))


def ids(agents: list[Agent]) -> list[str]:
    return [a.id for a in agents]


# ---------------------------------------------------------------- eligibility


@pytest.mark.parametrize(
    ("candidate", "needs", "expected"),
    [
        pytest.param(agent("a"), X_IN_ENGLISH, True, id="no_skill_limits_takes_everything"),
        pytest.param(
            agent("a", skills=Skills(channels=("email", "whatsapp"))),
            X_IN_ENGLISH,
            False,
            id="without_the_channel_not_eligible",
        ),
        pytest.param(
            agent("a", skills=Skills(channels=("x",))), X_IN_ENGLISH, True, id="with_the_channel_eligible"
        ),
        pytest.param(
            agent("a", skills=Skills(languages=("en",))),
            X_IN_GERMAN,
            False,
            id="german_inquiry_never_to_english_only_agent",
        ),
        pytest.param(
            agent("a", skills=Skills(languages=("de", "en"))),
            X_IN_GERMAN,
            True,
            id="german_inquiry_to_german_speaker",
        ),
        pytest.param(
            agent("a", skills=Skills(languages=("en",))),
            Needs("x", None),
            True,
            id="unknown_language_to_anyone",
        ),
        pytest.param(
            agent("a", max_concurrent=3, figures=figures(caseload=3)),
            X_IN_ENGLISH,
            False,
            id="at_max_concurrent_not_eligible",
        ),
        pytest.param(
            agent("a", max_concurrent=3, figures=figures(caseload=4)),
            X_IN_ENGLISH,
            False,
            id="over_max_concurrent_not_eligible",
        ),
        pytest.param(
            agent("a", max_concurrent=3, figures=figures(caseload=2)),
            X_IN_ENGLISH,
            True,
            id="one_below_max_concurrent_eligible",
        ),
        pytest.param(agent("a", status=AgentStatus.AWAY), X_IN_ENGLISH, False, id="away_not_eligible"),
        pytest.param(agent("a", status=AgentStatus.OFFLINE), X_IN_ENGLISH, False, id="offline_not_eligible"),
    ],
)
def test_eligibility(candidate: Agent, needs: Needs, expected: bool) -> None:
    # Given one agent
    # When the inquiry's needs are checked against them
    result = eligible([candidate], needs)
    # Then they are eligible or not
    assert ids(result) == (["a"] if expected else [])


def test_a_german_inquiry_never_goes_to_an_english_only_agent_however_good() -> None:
    # Given an English-only star with nothing to do and a German speaker with a full desk and poor figures
    star = agent("star", skills=Skills(languages=("en",)), figures=figures(0, 30, 5.0))
    german = agent("german", skills=Skills(languages=("de",)), figures=figures(4, 3600, 2.0))
    # When a German inquiry from a VIP is ranked
    needs = needs_of("x", "de", priority("sentiment.very_negative"), CustomerContext("c", vip=True))
    result = rank(eligible([star, german], needs), needs)
    # Then only the German speaker is asked
    assert ids(result) == ["german"]


def test_excluded_agents_are_not_eligible() -> None:
    # Given three online agents, the first of them the one the inquiry is escalated away from
    agents = [agent("a"), agent("b"), agent("c")]
    # When eligibility excludes them
    result = eligible(agents, X_IN_ENGLISH, exclude=("a", "c"))
    # Then only the others remain
    assert ids(result) == ["b"]


# ---------------------------------------------------------------- team choice


def test_a_team_that_does_not_take_the_language_is_not_chosen() -> None:
    # Given an English team first in order and a German team after it
    english = Team("en-care", "English care", languages=("en",), order=1)
    german = Team("de-care", "Kundenservice", languages=("de",), order=2)
    # When a German inquiry looks for a team
    # Then the German team takes it, although it comes later
    assert choose_team([english, german], X_IN_GERMAN) == german
    # And with no team for German there is no team at all
    assert choose_team([english], X_IN_GERMAN) is None


def test_a_team_that_does_not_take_the_channel_is_not_chosen() -> None:
    social = Team("social", "Social", channels=("x", "facebook"), order=1)
    mail = Team("mail", "Mail", channels=("email",), order=2)
    assert choose_team([social, mail], Needs("email", "en")) == mail


@pytest.mark.parametrize(
    ("topics", "expected"),
    [
        pytest.param(frozenset(), "general", id="no_topics_lowest_order"),
        pytest.param(frozenset({"content.legal"}), "legal", id="matching_topic_beats_order"),
        pytest.param(
            frozenset({"content.legal", "content.refund"}), "billing", id="more_matching_topics_win"
        ),
        pytest.param(frozenset({"content.unknown"}), "general", id="unmatched_topic_lowest_order"),
    ],
)
def test_team_choice_by_topics_then_order(topics: frozenset[str], expected: str) -> None:
    # Given a general team first in order and two specialist teams after it
    teams = [
        Team("legal", "Legal", topics=("content.legal",), order=50),
        Team("billing", "Billing", topics=("content.refund", "content.legal"), order=60),
        Team("general", "General", order=10),
    ]
    # When an inquiry whose rules fired on ``topics`` looks for a team
    chosen = choose_team(teams, Needs("x", "en", topics))
    # Then the team with the most matching topics wins, and among equals the lowest order
    assert chosen is not None and chosen.id == expected


def test_teams_of_equal_fit_and_order_are_chosen_by_id() -> None:
    teams = [Team("b", "B"), Team("a", "A"), Team("c", "C")]
    chosen = choose_team(teams, X_IN_ENGLISH)
    assert chosen is not None and chosen.id == "a"


def test_topics_come_from_the_rules_that_fired() -> None:
    needs = needs_of("x", "en", priority("content.legal", "channel.x"), CustomerContext("c"))
    assert needs.topics == {"content.legal", "channel.x"}
    assert needs_of("x", "en", None, CustomerContext("c")).topics == frozenset()


# ---------------------------------------------------------------- ranking


@pytest.mark.parametrize(
    ("agents", "expected"),
    [
        pytest.param(
            [
                agent("busy", figures=figures(3, 30, 5.0)),
                agent("free", figures=figures(0, 3000, 2.0)),
                agent("some", figures=figures(1, 60, 4.0)),
            ],
            ["free", "some", "busy"],
            id="fewer_open_cases_first_whatever_the_figures",
        ),
        pytest.param(
            [
                agent("slow", figures=figures(1, 900, 5.0)),
                agent("fast", figures=figures(1, 60, 3.0)),
                agent("new", figures=figures(1, None, 5.0)),
            ],
            ["fast", "slow", "new"],
            id="equal_caseload_faster_first_response_first_unknown_last",
        ),
        pytest.param(
            [
                agent("fair", figures=figures(1, 60, 3.5)),
                agent("great", figures=figures(1, 60, 4.8)),
                agent("unrated", figures=figures(1, 60, None)),
            ],
            ["great", "fair", "unrated"],
            id="equal_caseload_and_response_better_csat_first_unrated_last",
        ),
    ],
)
def test_the_usual_ranking(agents: list[Agent], expected: list[str]) -> None:
    # Given agents with different figures
    # When an ordinary inquiry ranks them
    result = rank(agents, needs_of("x", "en", priority("content.refund"), CustomerContext("c")))
    # Then caseload balances first, then first-response time, then CSAT
    assert ids(result) == expected


def test_at_equal_caseload_an_agent_skilled_in_the_topic_comes_first() -> None:
    general = agent("general", figures=figures(1, 30, 5.0))
    lawyer = agent("lawyer", skills=Skills(topics=("content.legal",)), figures=figures(1, 600, 3.0))
    needs = needs_of("x", "en", priority("content.legal"), CustomerContext("c"))
    assert ids(rank([general, lawyer], needs)) == ["lawyer", "general"]


CANDIDATES = [
    agent("idle", figures=figures(0, 600, 3.0)),
    agent("best", figures=figures(3, 120, 4.9)),
    agent("good", figures=figures(1, 60, 4.5)),
    agent("quick", figures=figures(2, 30, 4.5)),
]


@pytest.mark.parametrize(
    ("rules", "context", "expected"),
    [
        pytest.param(
            ("sentiment.very_negative",),
            CustomerContext("c"),
            ["best", "quick", "good", "idle"],
            id="strongly_negative_best_rated_first",
        ),
        pytest.param(
            ("content.refund",),
            CustomerContext("c", vip=True),
            ["best", "quick", "good", "idle"],
            id="vip_best_rated_first",
        ),
        pytest.param(
            ("sentiment.negative",),
            CustomerContext("c"),
            ["idle", "good", "quick", "best"],
            id="merely_negative_usual_order",
        ),
    ],
)
def test_top_rated_first(rules: tuple[str, ...], context: CustomerContext, expected: list[str]) -> None:
    # Given agents where the best-rated one has the most open cases
    # When the inquiry is strongly negative or from a VIP
    needs = needs_of("x", "en", priority(*rules), context)
    # Then CSAT comes first, then first-response time; otherwise the caseload balances as usual
    assert ids(rank(CANDIDATES, needs)) == expected


def test_top_rated_is_set_by_a_strongly_negative_reason_or_a_vip_only() -> None:
    assert needs_of("x", "en", priority("sentiment.very_negative"), CustomerContext("c")).top_rated
    assert needs_of("x", "en", None, CustomerContext("c", vip=True)).top_rated
    assert not needs_of("x", "en", priority("sentiment.negative"), CustomerContext("c")).top_rated
    assert not needs_of("x", "en", None, CustomerContext("c")).top_rated


# ---------------------------------------------------------------- round-robin


@pytest.mark.parametrize(
    ("last_assigned", "expected"),
    [
        pytest.param(
            {"a": "2026-11-24T10:05:00Z", "b": "2026-11-24T10:01:00Z", "c": "2026-11-24T10:03:00Z"},
            ["b", "c", "a"],
            id="oldest_last_assignment_first",
        ),
        pytest.param(
            {"a": "2026-11-24T10:05:00Z", "b": "", "c": "2026-11-24T10:03:00Z"},
            ["b", "c", "a"],
            id="never_assigned_first",
        ),
        pytest.param(
            {"c": "2026-11-24T10:00:00Z", "a": "2026-11-24T10:00:00Z", "b": "2026-11-24T10:00:00Z"},
            ["a", "b", "c"],
            id="same_time_by_id",
        ),
    ],
)
@pytest.mark.parametrize("top_rated", [False, True], ids=["usual", "top_rated"])
def test_ties_go_round_robin(last_assigned: dict[str, str], expected: list[str], top_rated: bool) -> None:
    # Given agents whose figures are equal except for when they were last assigned
    agents = [agent(i, figures=figures(1, 60, 4.0, last_assigned_at=at)) for i, at in last_assigned.items()]
    # When they are ranked
    result = rank(agents, Needs("x", "en", top_rated=top_rated))
    # Then the one assigned longest ago comes first, and equal times go by id
    assert ids(result) == expected


@pytest.mark.parametrize("cases_stay_open", [False, True], ids=["answered_at_once", "cases_stay_open"])
def test_successive_assignments_cycle_through_tied_agents(cases_stay_open: bool) -> None:
    # Given three agents with equal figures who were never assigned anything
    team = {i: agent(i, max_concurrent=10, figures=figures(0, 60, 4.0)) for i in ("carla", "ben", "ada")}
    start = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    chosen: list[str] = []
    # When nine inquiries arrive one after another, each given to the best-ranked agent
    for n in range(9):
        needs = X_IN_ENGLISH
        best = rank(eligible(team.values(), needs), needs)[0]
        chosen.append(best.id)
        moment = (start + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
        caseload = best.figures.open_caseload + (1 if cases_stay_open else 0)
        team[best.id] = replace(
            best, figures=replace(best.figures, open_caseload=caseload, last_assigned_at=moment)
        )
    # Then the inquiries go round the tied agents in turn
    assert chosen == ["ada", "ben", "carla"] * 3


def test_rank_keeps_every_candidate_and_invents_none() -> None:
    result = rank(CANDIDATES, X_IN_ENGLISH)
    assert sorted(ids(result)) == sorted(ids(CANDIDATES))
    assert rank([], X_IN_ENGLISH) == []
