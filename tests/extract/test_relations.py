"""Membership, member-count, treaty and position rules on hand-built Docs."""

from __future__ import annotations

from kg.records import MemberCount, Membership, Position, TreatyAction, TreatyActionKind


def claims(result, kind):
    return [f.claim for f in result.facts if isinstance(f.claim, kind)]


def test_member_since_reads_member_organisation_and_iso_date(extract):
    result = extract(
        "[Fiji](GPE#country:FJ) has been a member of [Interpol](ORG#interpol) since "
        "[4 March 1961](DATE) ."
    )
    (claim,) = claims(result, Membership)
    assert (claim.member.text, claim.organisation.key, claim.since) == (
        "Fiji",
        "interpol",
        "1961-03-04",
    )


def test_nth_member_gives_membership_and_member_count(extract):
    result = extract(
        "[Fiji](GPE#country:FJ) became the [12th](ORDINAL) member of [ASEAN](ORG#asean) on Monday ."
    )
    assert [c.member.text for c in claims(result, Membership)] == ["Fiji"]
    assert [(c.organisation.key, c.count) for c in claims(result, MemberCount)] == [("asean", 12)]


def test_joined_list_continues_with_followed_by(extract):
    result = extract(
        "[Chad](GPE#country:TD) joined [the African Union](ORG#au) in [1990](DATE) , "
        "followed by [Togo](GPE#country:TG) in [1994](DATE) ."
    )
    got = sorted((c.member.text, c.since) for c in claims(result, Membership))
    assert got == [("Chad", "1990"), ("Togo", "1994")]


def test_org_members_apposition_lists_each_member(extract):
    result = extract(
        "The plan met objections from [NATO](ORG#nato) members "
        "[Portugal](GPE#country:PT) and [Norway](GPE#country:NO) ."
    )
    assert sorted(c.member.key for c in claims(result, Membership)) == ["country:NO", "country:PT"]


def test_membership_anaphor_resolves_to_last_organisation(extract):
    result = extract(
        "[Europol](ORG#europol) opened a new office .\n"
        "[Fiji](GPE#country:FJ) is a member of the organisation ."
    )
    (claim,) = claims(result, Membership)
    assert claim.organisation.key == "europol"


def test_member_count_from_n_country_membership_and_membership_of(extract):
    result = extract(
        "[Interpol](ORG#interpol) works across its 180 - country membership .\n"
        "[Interpol](ORG#interpol) has a membership of 181 countries ."
    )
    assert sorted(c.count for c in claims(result, MemberCount)) == [180, 181]


def test_plain_numbers_are_not_member_counts(extract):
    result = extract("[Interpol](ORG#interpol) trained 300 officers last year .")
    assert claims(result, MemberCount) == []


def test_acceded_lists_every_agent(extract):
    result = extract(
        "[Fiji](GPE#country:FJ) , [Tonga](GPE#country:TO) and "
        "[Samoa](GPE#country:WS) have acceded to the "
        "[Convention on Cybercrime](LAW#budapest-convention) ."
    )
    got = claims(result, TreatyAction)
    assert sorted(c.agent.key for c in got) == ["country:FJ", "country:TO", "country:WS"]
    assert {c.action for c in got} == {TreatyActionKind.ACCEDED}


def test_passive_adoption_by_assembly(extract):
    result = extract(
        "The [Arms Trade Treaty](LAW) was adopted by the "
        "[UN General Assembly](ORG#unga) on [2 April 2013](DATE) ."
    )
    (claim,) = claims(result, TreatyAction)
    assert (claim.action, claim.agent.key, claim.treaty.text, claim.date) == (
        TreatyActionKind.ADOPTED,
        "unga",
        "Arms Trade Treaty",
        "2013-04-02",
    )


def test_deposited_instrument_is_a_ratification_by_the_country(extract):
    result = extract(
        "[Fiji](GPE#country:FJ) 's envoy to the [UN](ORG#un) [Ann Lee](PERSON) "
        "deposited its instrument of ratification of the [Arms Trade Treaty](LAW) ."
    )
    (claim,) = claims(result, TreatyAction)
    assert (claim.action, claim.agent.text) == (TreatyActionKind.RATIFIED, "Fiji")


def test_treaty_anaphor_takes_the_treaty_named_before(extract):
    result = extract(
        "Talks on the [Minsk Accord on Fisheries](LAW) ended .\n"
        "[Fiji](GPE#country:FJ) signed the accord in [May 2020](DATE) ."
    )
    (claim,) = claims(result, TreatyAction)
    assert (claim.treaty.text, claim.date) == ("Minsk Accord on Fisheries", "2020-05")


def test_org_role_person(extract):
    result = extract("[Europol](ORG#europol) Executive Director [Maria Gomez](PERSON) said so .")
    (claim,) = claims(result, Position)
    assert (claim.person.text, claim.role, claim.organisation.key) == (
        "Maria Gomez",
        "Executive Director",
        "europol",
    )


def test_person_comma_role_of_org(extract):
    result = extract(
        "[Maria Gomez](PERSON) , Secretary General of [Interpol](ORG#interpol) , said so ."
    )
    (claim,) = claims(result, Position)
    assert (claim.role, claim.organisation.key) == ("Secretary General", "interpol")


def test_minister_of_serves_the_ministry(extract):
    result = extract("[Le Van An](PERSON) , Deputy Minister of Public Security , spoke .")
    (claim,) = claims(result, Position)
    assert claim.organisation.text == "Ministry of Public Security"


def test_role_without_organisation_takes_the_article_organisation(extract):
    result = extract(
        "[Europol](ORG#europol) met in [The Hague](GPE) .\n"
        "[Europol](ORG#europol) welcomed delegates .\n"
        "Deputy Director [Jan Novak](PERSON) opened the meeting ."
    )
    (claim,) = claims(result, Position)
    assert claim.organisation.key == "europol"


def test_government_post_without_organisation_is_not_guessed(extract):
    result = extract(
        "[Europol](ORG#europol) welcomed delegates .\n"
        "Foreign Minister [Jan Novak](PERSON) opened the meeting ."
    )
    (claim,) = claims(result, Position)
    assert claim.organisation is None


def test_undated_accession_takes_the_date_of_the_next_sentence_naming_it(extract):
    result = extract(
        "[Fiji](GPE#country:FJ) has acceded to the [Arms Trade Treaty](LAW) .\n"
        "The accession was made in [New York](GPE) on [3 May](DATE) .",
        date="2024-06-01",
    )
    (claim,) = claims(result, TreatyAction)
    assert claim.date == "2024-05-03"


def test_listed_deposits_take_the_date_of_the_first_dated_one(extract):
    result = extract(
        "[Chad](GPE#country:TD) [2 April](DATE) deposited its instrument of ratification of "
        "the [Arms Trade Treaty](LAW) .\n"
        "The ratification instruments were deposited by [Togo](GPE#country:TG) and "
        "[Fiji](GPE#country:FJ) .",
        date="2014-04-02",
    )
    dates = {c.agent.key: c.date for c in claims(result, TreatyAction)}
    assert dates == {
        "country:TD": "2014-04-02",
        "country:TG": "2014-04-02",
        "country:FJ": "2014-04-02",
    }


def test_capitalised_organisation_anaphor_is_the_article_organisation(extract):
    result = extract(
        "[Interpol](ORG#interpol) opened its assembly .\n"
        "[Interpol](ORG#interpol) thanked the [WHO](ORG#who) .\n"
        "[Fiji](GPE#country:FJ) was admitted as the Organization ’s [12th](ORDINAL) member "
        "country ."
    )
    (claim,) = claims(result, MemberCount)
    assert (claim.organisation.key, claim.count) == ("interpol", 12)


def test_name_the_model_calls_an_organisation_after_a_role_is_a_person(extract):
    result = extract(
        "In a speech , President of [Chad](GPE#country:TD) , "
        "[Idris Mahamat Deby](ORG) said the talks went well ."
    )
    (claim,) = claims(result, Position)
    assert (claim.person.text, claim.role, claim.organisation.key) == (
        "Idris Mahamat Deby",
        "President",
        "country:TD",
    )


def test_a_list_after_a_colon_belongs_to_the_words_before_it(extract):
    """The parser often ends a sentence at the colon; the rules still read across it."""
    result = extract(
        "The bloc was founded in [1967](DATE) by the founding members of [ASEAN](ORG#asean) : "
        "|| [Fiji](GPE#country:FJ) , [Tonga](GPE#country:TO) and [Samoa](GPE#country:WS) ."
    )
    assert sorted(c.member.key for c in claims(result, Membership)) == [
        "country:FJ",
        "country:TO",
        "country:WS",
    ]
