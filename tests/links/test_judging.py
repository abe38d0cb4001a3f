"""The checker's rules as tables of values: soft-404 phrases, home redirects, pages, statuses, robots."""

from __future__ import annotations

import gzip

import httpx
import pytest

from ren_index.errors import AddressRefusedError
from ren_index.links.addresses import LinkAddressPolicy, split_allow_list
from ren_index.links.http import Answer, FetchFailed, _Decoder
from ren_index.links.judge import failed_verdict, judge_answer, moved_to, refused_verdict
from ren_index.links.outcomes import Outcome
from ren_index.links.politeness import host_of
from ren_index.links.robots import judge, robots_url
from ren_index.links.soft404 import Matcher, fold, is_home, sent_home, title_and_heading

MATCHER = Matcher.for_source()


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Page introuvable", "introuvable"),
        ("PAGE NON TROUVÉE – Cégep de Lévis", "page non trouvee"),
        ("Cette ressource n’existe plus", "n'existe plus"),
        ("Ce document n'est plus disponible", "n'est plus disponible"),
        ("Erreur 404", "erreur 404"),
        ("404 Not Found", "not found"),
        ("Sorry, this page doesn’t exist", "doesn't exist"),
        ("The resource is no longer available", "no longer available"),
        ("Fonctions et dérivées", None),
        ("PHY-404 : mécanique", None),  # a course code, not an error
        ("Notfound Studio", None),  # whole words only
        ("", None),
    ],
)
def test_builtin_phrases(text: str, phrase: str | None) -> None:
    assert MATCHER.match(text) == phrase


def test_source_phrases_are_plain_text_folded() -> None:
    matcher = Matcher.for_source(["Ressource ARCHIVÉE", "(a+)+$", "  "])
    assert matcher.match("ressource archivee au depot") == "ressource archivee"
    assert matcher.match("aaaaaaaaaaaaaaaaaaaaaaaaaaaa!") is None  # a regex would be a pattern, not text
    assert "" not in matcher.phrases


def test_fold() -> None:
    assert fold("  N’EXISTE\u00a0 Plus  ") == "n'existe plus"
    assert len(fold("é" * 10_000)) == 500


@pytest.mark.parametrize(
    ("original", "final", "home"),
    [
        ("https://a.example/cours/42", "https://a.example/", True),
        ("https://a.example/cours/42", "https://www.a.example/index.html", True),
        ("https://a.example/?p=42", "https://a.example/", True),
        ("https://a.example/", "https://a.example/", False),  # not a deep link
        ("https://a.example/cours/42", "https://b.example/", False),  # another site
        ("https://a.example/cours/42", "https://a.example/cours/43", False),
        ("https://a.example/cours/42", "https://a.example/fr/index.html", False),
    ],
)
def test_sent_home(original: str, final: str, home: bool) -> None:
    assert sent_home(original, final) is home


@pytest.mark.parametrize(
    ("path", "home"), [("", True), ("/", True), ("/index.php", True), ("/a/index.html", False)]
)
def test_is_home(path: str, home: bool) -> None:
    assert is_home(path) is home


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (b"<title>Cours</title><h1>Chapitre 1</h1>", None, ("Cours", "Chapitre 1")),
        ("<title>Été</title>".encode("latin-1"), "text/html; charset=ISO-8859-1", ("Été", "")),
        ('<meta charset="windows-1252"><title>Été</title>'.encode("cp1252"), "text/html", ("Été", "")),
        (b'<?xml version="1.0" encoding="utf-8"?><html><title>X</title></html>', None, ("X", "")),
        ("<title>Coupé au milieu".encode(), None, ("Coupé au milieu", "")),  # cut by the bound
        (b"", None, ("", "")),
        (b"\x00\xff\xfe garbage", "text/html; charset=nonsense", ("", "")),
        (b"<title><script>alert(1)</script>T</title>", None, ("<script>alert(1)</script>T", "")),
    ],
)
def test_title_and_heading(body: bytes, content_type: str | None, expected: tuple[str, str]) -> None:
    assert title_and_heading(body, content_type) == expected


def answer(status: int, body: bytes | None = None, **headers: str) -> Answer:
    return Answer(status, httpx.Headers(headers), body)


U = "https://a.example/cours/42"


@pytest.mark.parametrize(
    ("status", "outcome", "failure"),
    [
        (200, Outcome.OK, None),
        (204, Outcome.OK, None),
        (401, Outcome.OK, None),
        (403, Outcome.OK, None),
        (404, Outcome.BROKEN, "http_404"),
        (410, Outcome.BROKEN, "http_410"),
        (400, Outcome.BROKEN, "http_400"),
        (451, Outcome.BROKEN, "http_451"),
        (408, Outcome.UNREACHABLE, "http_408"),
        (429, Outcome.UNREACHABLE, "http_429"),
        (500, Outcome.UNREACHABLE, "http_5xx"),
        (503, Outcome.UNREACHABLE, "http_5xx"),
        (304, Outcome.UNREACHABLE, "http_304"),
    ],
)
def test_status_table(status: int, outcome: Outcome, failure: str | None) -> None:
    verdict = judge_answer(U, U, (), answer(status), MATCHER)
    assert (verdict.outcome, verdict.failure) == (outcome, failure)


def test_redirect_verdicts() -> None:
    new = "https://b.example/new"
    assert judge_answer(U, new, ((301, new),), answer(200), MATCHER).outcome is Outcome.REDIRECTED
    assert judge_answer(U, new, ((302, new),), answer(200), MATCHER).outcome is Outcome.OK
    assert judge_answer(U, new, ((308, new),), answer(404), MATCHER).outcome is Outcome.BROKEN
    home = "https://a.example/"
    assert judge_answer(U, home, ((301, home),), answer(200), MATCHER).outcome is Outcome.SOFT_404
    soft = answer(200, b"<title>Page introuvable</title>")
    assert judge_answer(U, new, ((301, new),), soft, MATCHER).outcome is Outcome.SOFT_404
    assert moved_to(((301, "x"), (308, "y"), (302, "z"), (301, "w"))) == "y"
    assert moved_to(((302, "x"), (301, "y"))) is None


@pytest.mark.parametrize(
    ("rule", "outcome", "failure", "skip"),
    [
        ("non_public", Outcome.SKIPPED, None, "non_public"),
        ("scheme", Outcome.SKIPPED, None, "scheme"),
        ("unresolvable", Outcome.BROKEN, "dns", None),
        ("malformed", Outcome.BROKEN, "malformed", None),
    ],
)
def test_refused_addresses(rule: str, outcome: Outcome, failure: str | None, skip: str | None) -> None:
    verdict = refused_verdict(AddressRefusedError("refused", url=U, rule=rule))
    assert (verdict.outcome, verdict.failure, verdict.extra.get("skip")) == (outcome, failure, skip)


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [("dns", Outcome.BROKEN), ("timeout", Outcome.UNREACHABLE), ("tls", Outcome.UNREACHABLE)],
)
def test_failures_without_answer(kind: str, outcome: Outcome) -> None:
    assert failed_verdict(FetchFailed(kind, "x")).outcome is outcome


@pytest.mark.parametrize(
    ("status", "allows", "allow_all"),
    [(404, True, True), (401, True, True), (429, False, False), (500, False, False), (503, False, False)],
)
def test_robots_statuses(status: int, allows: bool, allow_all: bool) -> None:
    rules = judge(answer(status))
    assert rules.allows("https://a.example/x", "ren-index") is allows and rules.allow_all is allow_all


def test_robots_rules_and_crawl_delay() -> None:
    text = b"User-agent: ren-index\nDisallow: /prive\nCrawl-delay: 4\n\nUser-agent: *\nDisallow: /\n"
    rules = judge(answer(200, text))
    assert rules.allows("https://a.example/cours", "ren-index")
    assert not rules.allows("https://a.example/prive/x", "ren-index")
    assert not rules.allows("https://a.example/cours", "otherbot")
    assert rules.crawl_delay("ren-index") == 4.0
    assert robots_url("HTTPS://A.example:8443/x/y?z#w") == "https://a.example:8443/robots.txt"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://WWW.Example.org:8443/x", "www.example.org"),
        ("http://[::1]:8080/", "::1"),
        ("http://127.0.0.2:9/", "127.0.0.2"),
        ("http://[bad/", ""),
    ],
)
def test_host_is_the_name_or_address_whatever_the_port(url: str, host: str) -> None:
    assert host_of(url) == host


def test_allow_list_takes_hosts_and_ranges() -> None:
    hosts, networks = split_allow_list(["intranet.example:8080", " 10.1.0.0/16 ", "", "::1", "fd00::/8"])
    assert hosts == ("intranet.example:8080", "::1")
    assert [str(n) for n in networks] == ["10.1.0.0/16", "fd00::/8"]


def test_ranges_admit_only_their_addresses() -> None:
    def resolver(host: str, port: object, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        return [(2, 1, 6, "", ({"in.example": "10.1.2.3", "out.example": "10.2.0.1"}[host], port))]

    policy = LinkAddressPolicy(["10.1.0.0/16"], resolver=resolver)
    admitted = policy.admit("http://in.example/x")
    assert (admitted.host, admitted.pinned) == ("in.example", "10.1.2.3")
    with pytest.raises(AddressRefusedError) as refused:
        policy.admit("http://out.example/x")
    assert refused.value.rule == "non_public"
    with pytest.raises(AddressRefusedError):
        LinkAddressPolicy().admit("http://10.1.2.3/")


def test_the_decoder_stops_a_gzip_bomb_at_the_bound() -> None:
    decoder = _Decoder("gzip", 1000)
    bomb = gzip.compress(b"a" * 10_000_000)
    assert decoder.feed(bomb) is True
    assert len(decoder.out) == 1000 and decoder.readable
    assert _Decoder("br", 10).readable is False
