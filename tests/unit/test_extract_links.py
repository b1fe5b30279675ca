"""RFC 8288 Link header parsing."""

from __future__ import annotations

from glueflake.extract.links import find_rel, parse_link_header


def test_several_links_in_one_header() -> None:
    header = (
        '<https://api.test/orders?page=3&per_page=100>; rel="next", '
        '<https://api.test/orders?page=1&per_page=100>; rel="first", '
        "<https://api.test/orders?page=9>; rel=last"
    )
    links = parse_link_header(header)
    assert [sorted(link.rels) for link in links] == [["next"], ["first"], ["last"]]
    assert links[0].target == "https://api.test/orders?page=3&per_page=100"
    assert find_rel([header], "next") == "https://api.test/orders?page=3&per_page=100"
    assert find_rel([header], "LAST") == "https://api.test/orders?page=9"
    assert find_rel([header], "prev") is None


def test_commas_and_semicolons_inside_uri_and_quotes() -> None:
    header = (
        '<https://a.test/x?ids=1,2;3>; title="a, b; c"; rel="prev", '
        '<https://a.test/x?ids=4,5>; rel="next"'
    )
    links = parse_link_header(header)
    assert len(links) == 2
    assert links[0].target == "https://a.test/x?ids=1,2;3"
    assert links[0].params["title"] == "a, b; c"
    assert find_rel([header], "next") == "https://a.test/x?ids=4,5"


def test_multiple_relation_types_and_escaped_quotes() -> None:
    header = r'</p2>; rel="next last"; title="say \"hi\""'
    (link,) = parse_link_header(header)
    assert link.rels == frozenset({"next", "last"})
    assert link.params["title"] == 'say "hi"'


def test_links_across_several_header_lines() -> None:
    assert find_rel(['</a>; rel="prev"', '</b>; rel="next"'], "next") == "/b"


def test_first_rel_param_wins_and_garbage_is_skipped() -> None:
    header = 'garbage, </ok>; rel="next"; rel="prev", <unterminated'
    links = parse_link_header(header)
    assert [link.target for link in links] == ["/ok"]
    assert links[0].rels == frozenset({"next"})


def test_empty_header() -> None:
    assert parse_link_header("") == []
    assert find_rel([], "next") is None
