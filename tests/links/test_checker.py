"""The link checker against real local sites: one test per scenario of issue 15, every outcome
asserted with its status, final URL, redirects and attempts, and what the server received."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ren_index.links.checker import CheckerConfig, CheckRun, run_checks, user_agent
from ren_index.links.outcomes import LinkResult, LinkTarget, Outcome
from ren_index.settings import load_settings

from .conftest import config
from .link_server import HTML, LinkServer, Reply, Tracker, free_port, page


def target(url: str, record: str = "r1", soft_404: tuple[str, ...] = ()) -> LinkTarget:
    return LinkTarget(record_id=record, url=url, source_id="src", soft_404=soft_404)


def check_one(url: str, **overrides: Any) -> LinkResult:
    soft = overrides.pop("soft_404", ())
    run = run_checks([target(url, soft_404=soft)], config(**overrides))
    assert len(run.results) == 1
    return run.results[0]


# -- answers ----------------------------------------------------------------------------------


def test_ok_page_is_read_with_head_then_get(site: LinkServer) -> None:
    result = check_one(site.url("/ok"))
    assert (result.outcome, result.http_status, result.final_url) == (Outcome.OK, 200, None)
    assert (result.redirects, result.attempts, result.failure) == ((), 2, None)
    assert result.host == "127.0.0.1" and result.record_id == "r1"
    assert (site.count("/ok", "HEAD"), site.count("/ok", "GET")) == (1, 1)  # GET reads the title


def test_run_checks_works_in_a_thread_that_already_runs_an_event_loop(site: LinkServer) -> None:
    """A Prefect flow or a test session driving a browser runs a loop: the check still runs."""

    async def inside_a_loop() -> CheckRun:
        return run_checks([target(site.url("/ok"))], config())

    with ThreadPoolExecutor(max_workers=1) as pool:  # a thread of its own: pytest's may run a loop too
        run = pool.submit(asyncio.run, inside_a_loop()).result()
    assert [r.outcome for r in run.results] == [Outcome.OK]
    assert site.count("/ok", "HEAD") == 1


def test_a_non_html_answer_is_judged_on_head_alone(site: LinkServer) -> None:
    result = check_one(site.url("/file.pdf"))
    assert (result.outcome, result.http_status, result.attempts) == (Outcome.OK, 200, 1)
    assert site.count("/file.pdf", "GET") == 0


@pytest.mark.parametrize(("path", "status"), [("/missing", 404), ("/removed", 410)])
def test_404_and_410_are_broken(site: LinkServer, path: str, status: int) -> None:
    result = check_one(site.url(path))
    assert (result.outcome, result.http_status, result.failure) == (Outcome.BROKEN, status, f"http_{status}")
    assert result.attempts == 1


def test_500_is_unreachable_then_the_link_recovers(site: LinkServer) -> None:
    first = check_one(site.url("/flaky"))
    assert (first.outcome, first.http_status, first.failure) == (Outcome.UNREACHABLE, 500, "http_5xx")
    second = check_one(site.url("/flaky"))
    assert (second.outcome, second.http_status, second.attempts) == (Outcome.OK, 200, 2)


def test_restricted_pages_exist(site: LinkServer) -> None:
    site.route("/members", Reply(403, page("Accès réservé"), HTML))
    result = check_one(site.url("/members"))
    assert (result.outcome, result.http_status, result.attempts) == (Outcome.OK, 403, 2)  # HEAD, GET
    assert result.extra == {"restricted": "403"}


# -- soft 404s --------------------------------------------------------------------------------


def test_french_soft_404_by_title(site: LinkServer) -> None:
    result = check_one(site.url("/soft-fr"))
    assert (result.outcome, result.http_status, result.failure) == (Outcome.SOFT_404, 200, "soft_404")
    assert result.extra["soft_404"] == "title" and result.extra["phrase"] == "introuvable"
    assert "Page introuvable" in result.reason


def test_english_soft_404_by_heading(site: LinkServer) -> None:
    result = check_one(site.url("/soft-en"))
    assert (result.outcome, result.extra["soft_404"], result.extra["phrase"]) == (
        Outcome.SOFT_404,
        "h1",
        "does not exist",
    )


def test_the_sources_own_soft_404_phrases(site: LinkServer) -> None:
    assert check_one(site.url("/soft-custom")).outcome is Outcome.OK
    result = check_one(site.url("/soft-custom"), soft_404=("ressource ARCHIVEE",))
    assert (result.outcome, result.extra["phrase"]) == (Outcome.SOFT_404, "ressource archivee")


@pytest.mark.parametrize(
    ("path", "home", "status"), [("/deep/article/42", "/", 302), ("/deep/index-sent", "/index.php", 301)]
)
def test_deep_link_sent_to_the_home_page(site: LinkServer, path: str, home: str, status: int) -> None:
    result = check_one(site.url(path))
    assert (result.outcome, result.failure, result.extra) == (
        Outcome.SOFT_404,
        "soft_404",
        {"soft_404": "home"},
    )
    assert (result.final_url, result.redirects) == (site.url(home), ((status, site.url(home)),))
    assert (result.http_status, result.attempts) == (200, 3)  # HEAD deep, HEAD home, GET home


# -- redirects --------------------------------------------------------------------------------


def test_permanent_redirect_chain_is_redirected(site: LinkServer) -> None:
    result = check_one(site.url("/moved"))
    new = site.url("/new-home-of-the-resource")
    assert (result.outcome, result.http_status, result.final_url) == (Outcome.REDIRECTED, 200, new)
    assert result.redirects == ((301, site.url("/moved-2")), (308, new))
    assert result.extra == {"moved_to": new}
    assert result.attempts == 4  # HEAD, HEAD, HEAD, GET


def test_a_permanent_then_temporary_chain_offers_the_permanent_address(site: LinkServer) -> None:
    result = check_one(site.url("/moved-then-temp"))
    assert result.outcome is Outcome.REDIRECTED
    assert result.extra == {"moved_to": site.url("/moved-then-temp-2")}
    assert result.final_url == site.url("/new-home-of-the-resource")


def test_temporary_redirect_chain_is_judged_where_it_ends(site: LinkServer) -> None:
    result = check_one(site.url("/temp"))
    new = site.url("/new-home-of-the-resource")
    assert (result.outcome, result.http_status, result.final_url) == (Outcome.OK, 200, new)
    assert result.redirects == ((302, site.url("/temp-2")), (307, new))
    missing = check_one(site.url("/temp-to-missing"))
    assert (missing.outcome, missing.http_status, missing.final_url) == (
        Outcome.BROKEN,
        404,
        site.url("/missing"),
    )


def test_redirect_loop_is_broken(site: LinkServer) -> None:
    result = check_one(site.url("/loop-a"))
    assert (result.outcome, result.failure, result.http_status) == (Outcome.BROKEN, "loop", 302)
    assert result.redirects == ((302, site.url("/loop-b")), (302, site.url("/loop-a")))
    assert (result.attempts, site.count("/loop-a"), site.count("/loop-b")) == (2, 1, 1)


def test_five_redirects_are_followed_a_sixth_is_broken(site: LinkServer) -> None:
    six = check_one(site.url("/chain/0"))
    assert (six.outcome, six.failure, len(six.redirects)) == (Outcome.BROKEN, "too_many_redirects", 6)
    assert (site.count("/chain/5"), site.count("/chain/6")) == (1, 0)  # the sixth hop was never asked
    assert six.attempts == 6 and six.final_url == site.url("/chain/6")
    five = check_one(site.url("/chain/5"))
    assert (five.outcome, len(five.redirects), five.final_url) == (Outcome.OK, 5, site.url("/chain/10"))


def test_redirect_without_location_is_broken(site: LinkServer) -> None:
    result = check_one(site.url("/no-location"))
    assert (result.outcome, result.failure, result.http_status) == (Outcome.BROKEN, "bad_redirect", 302)


def test_head_refused_then_get(site: LinkServer) -> None:
    result = check_one(site.url("/no-head"))
    assert (result.outcome, result.http_status, result.attempts) == (Outcome.OK, 200, 2)
    assert (site.count("/no-head", "HEAD"), site.count("/no-head", "GET")) == (1, 1)


# -- robots.txt -------------------------------------------------------------------------------


def test_robots_disallow_skips_and_only_robots_is_asked(site: LinkServer) -> None:
    run = run_checks(
        [target(site.url("/private/secret"), "a"), target(site.url("/private/secret"), "b")], config()
    )
    assert [r.outcome for r in run.results] == [Outcome.SKIPPED, Outcome.SKIPPED]
    result = run.results[0]
    assert (result.extra, result.attempts, result.http_status) == ({"skip": "robots"}, 0, None)
    assert site.paths() == {"/robots.txt"} and site.count("/robots.txt") == 1


def test_robots_answering_500_disallows_everything_for_the_run(servers: list[LinkServer]) -> None:
    down = LinkServer("127.0.0.2", robots_status=500).start()
    servers.append(down)
    result = check_one(down.url("/ok"))
    assert result.outcome is Outcome.SKIPPED
    assert result.extra == {"skip": "robots_unavailable", "robots_status": "500"}
    assert down.paths() == {"/robots.txt"}


def test_no_robots_file_allows_everything(servers: list[LinkServer]) -> None:
    open_site = LinkServer("127.0.0.2", robots=None).start()
    servers.append(open_site)
    assert check_one(open_site.url("/private/secret")).outcome is Outcome.OK


def test_robots_is_read_once_per_site_and_run(site: LinkServer) -> None:
    run = run_checks([target(site.url("/ok"), f"r{i}") for i in range(10)], config())
    assert {r.outcome for r in run.results} == {Outcome.OK}
    assert site.count("/robots.txt") == 1


def test_crawl_delay_spaces_the_requests(servers: list[LinkServer]) -> None:
    slow_please = LinkServer("127.0.0.2", robots="User-agent: ren-index\nCrawl-delay: 0.3\n").start()
    servers.append(slow_please)
    started = time.monotonic()
    run = run_checks([target(slow_please.url("/file.pdf"), f"r{i}") for i in range(4)], config())
    assert {r.outcome for r in run.results} == {Outcome.OK}
    assert time.monotonic() - started >= 3 * 0.3 - 0.05  # robots, then 4 requests 0.3 s apart


# -- time -------------------------------------------------------------------------------------


def test_slow_answer_hits_the_request_timeout(site: LinkServer) -> None:
    started = time.monotonic()
    result = check_one(site.url("/slow"), request_timeout=0.5)
    assert (result.outcome, result.failure, result.http_status) == (Outcome.UNREACHABLE, "timeout", None)
    assert result.attempts == 1 and time.monotonic() - started < 2.5


def test_slow_host_hits_the_run_deadline(servers: list[LinkServer]) -> None:
    fast = LinkServer("127.0.0.2").start()
    slow = LinkServer("127.0.0.3", delay=1.0).start()
    servers.extend([fast, slow])
    targets = [target(fast.url("/ok"), f"f{i}") for i in range(2)]
    targets += [target(slow.url("/ok"), f"s{i}") for i in range(6)]
    started = time.monotonic()
    run = run_checks(targets, config(deadline=1.5))
    assert time.monotonic() - started < 4
    assert run.deadline_hit and run.not_checked() == 6
    assert [r.outcome for r in run.results[:2]] == [Outcome.OK, Outcome.OK]
    for result in run.results[2:]:
        assert result.outcome is Outcome.SKIPPED and result.extra == {"skip": "deadline"}
        assert "délai global atteint" in result.reason and result.record_id.startswith("s")


# -- hosts that are not there -----------------------------------------------------------------


def test_host_down_is_unreachable() -> None:
    result = check_one(f"http://127.0.0.2:{free_port('127.0.0.2')}/ok")
    assert (result.outcome, result.failure, result.attempts) == (Outcome.UNREACHABLE, "connect", 0)
    assert result.extra == {"robots": "unreachable"}


def _no_such_name(host: str, port: object, *args: object, **kwargs: object) -> list[Any]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_a_name_that_does_not_resolve_is_broken() -> None:
    result = check_one("https://plus-la.example/ressource", resolver=_no_such_name)
    assert (result.outcome, result.failure, result.attempts) == (Outcome.BROKEN, "dns", 0)


# -- the address policy -----------------------------------------------------------------------


def test_non_public_address_is_skipped_and_never_asked(site: LinkServer) -> None:
    run = run_checks(
        [target(site.url("/ok")), target("http://169.254.169.254/latest/meta-data/")], config(allow_hosts=())
    )
    assert [r.outcome for r in run.results] == [Outcome.SKIPPED, Outcome.SKIPPED]
    assert run.results[0].extra == {"skip": "non_public"} and run.results[0].attempts == 0
    assert site.total() == 0 and run.requests == 0


def test_an_allowed_host_entry_admits_its_port(site: LinkServer) -> None:
    assert check_one(site.url("/ok"), allow_hosts=(f"127.0.0.1:{site.port}",)).outcome is Outcome.OK


def test_a_redirect_into_a_refused_address_is_not_followed(servers: list[LinkServer]) -> None:
    public = LinkServer("127.0.0.1").start()
    internal = LinkServer("127.0.0.2").start()
    servers.extend([public, internal])
    public.route("/to-internal", Reply(302, headers={"Location": internal.url("/ok")}))
    result = check_one(public.url("/to-internal"), allow_hosts=("127.0.0.1",))
    assert (result.outcome, result.extra) == (Outcome.SKIPPED, {"skip": "non_public"})
    assert result.redirects == ((302, internal.url("/ok")),) and result.final_url == internal.url("/ok")
    assert internal.total() == 0


def test_a_redirect_to_another_allowed_host_reads_its_robots(servers: list[LinkServer]) -> None:
    first = LinkServer("127.0.0.1").start()
    second = LinkServer("127.0.0.2").start()
    servers.extend([first, second])
    first.route("/elsewhere", Reply(301, headers={"Location": second.url("/ok")}))
    result = check_one(first.url("/elsewhere"))
    assert (result.outcome, result.final_url) == (Outcome.REDIRECTED, second.url("/ok"))
    assert second.count("/robots.txt") == 1 and second.count("/ok") == 2


def test_the_checked_address_is_the_one_connected_to(servers: list[LinkServer]) -> None:
    """DNS rebinding: the name resolves once (to an allowed address) and the connection goes
    there; the system resolver, which knows nothing of this name, is never asked."""
    pinned = LinkServer("127.0.0.2").start()
    servers.append(pinned)
    answers: list[str] = []

    def resolver(host: str, port: object, *args: object, **kwargs: object) -> list[Any]:
        answers.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.2", port))]

    result = check_one(f"http://ressources.rebind.test:{pinned.port}/ok", resolver=resolver)
    assert (result.outcome, result.host) == (Outcome.OK, "ressources.rebind.test")
    assert answers == ["ressources.rebind.test"]  # once per run, however many requests
    assert pinned.count("/ok") == 2


def test_other_schemes_are_not_checkable() -> None:
    result = check_one("ftp://ftp.example.org/cours.pdf")
    assert (result.outcome, result.extra) == (Outcome.SKIPPED, {"skip": "scheme"})


# -- politeness -------------------------------------------------------------------------------


def test_per_host_concurrency_never_exceeds_two(servers: list[LinkServer]) -> None:
    tracker = Tracker()
    a = LinkServer("127.0.0.2", tracker=tracker).start()
    b = LinkServer("127.0.0.2", tracker=tracker).start()  # same host, another port
    servers.extend([a, b])
    for server in (a, b):
        server.route("/busy", Reply(200, b"%PDF", {"Content-Type": "application/pdf"}, delay=0.05))
    targets = [target((a if i % 2 else b).url("/busy"), f"r{i}") for i in range(20)]
    run = run_checks(targets, config(concurrency=50))
    assert {r.outcome for r in run.results} == {Outcome.OK}
    assert tracker.peak["127.0.0.2"] == 2  # reached, never exceeded
    assert run.max_concurrency_per_host == 2
    assert run.hosts == ("127.0.0.2",)


def test_per_host_delay_spaces_request_starts(site: LinkServer) -> None:
    starts: list[float] = []

    def timed(server: LinkServer, method: str) -> Reply:
        starts.append(time.monotonic())
        return Reply(200, b"%PDF", {"Content-Type": "application/pdf"})

    site.route("/timed", timed)
    run_checks([target(site.url("/timed"), f"r{i}") for i in range(4)], config(per_host_delay=0.2))
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4 and min(gaps) >= 0.18


def test_user_agent_names_ren_index_and_a_contact(site: LinkServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REN_LINKS_CONTACT", "liens@cegep.example")
    monkeypatch.setenv("REN_LINKS_ALLOW_HOSTS", "127.0.0.0/8, localhost")
    settings = load_settings()
    checker = CheckerConfig.from_settings(settings, per_host_delay=0.0)
    assert checker.allow_hosts == ("127.0.0.0/8", "localhost")
    run_checks([target(site.url("/ok"))], checker)
    assert site.agents == {user_agent("liens@cegep.example")}
    assert "ren-index/" in user_agent("x@y.org") and "+x@y.org" in user_agent("x@y.org")


@pytest.mark.parametrize("contact", ["not an address", "liens@exemple.org (Marie)", "fr@café.example"])
def test_a_contact_that_cannot_go_in_a_header_is_refused(
    contact: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ren_index.errors import ConfigError

    monkeypatch.setenv("REN_LINKS_CONTACT", contact)
    with pytest.raises(ConfigError, match="REN_LINKS_CONTACT"):
        load_settings()


def test_the_contact_defaults_to_the_oai_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REN_LINKS_CONTACT", raising=False)
    monkeypatch.setenv("REN_OAI_ADMIN_EMAIL", "oai@cegep.example")
    assert load_settings().links_user_agent_contact == "oai@cegep.example"


# -- bounds -----------------------------------------------------------------------------------


def test_a_huge_page_is_read_only_to_the_bound(site: LinkServer) -> None:
    filler = b"<p>" + b"x" * (4 * 1024 * 1024) + b"</p>"
    site.route("/huge", Reply(200, b"<html><body>" + filler + b"<h1>Page not found</h1>", HTML))
    bomb = gzip.compress(b"<html><head><title>Cours</title></head>" + b" " * (64 * 1024 * 1024))
    site.route("/bomb", Reply(200, bomb, {**HTML, "Content-Encoding": "gzip"}))
    started = time.monotonic()
    run = run_checks([target(site.url("/huge"), "h"), target(site.url("/bomb"), "b")], config())
    assert [r.outcome for r in run.results] == [Outcome.OK, Outcome.OK]  # the heading is past the bound
    assert time.monotonic() - started < 5


def test_targets_beyond_the_bound_are_returned_unchecked(site: LinkServer) -> None:
    run: CheckRun = run_checks([target(site.url("/ok"), f"r{i}") for i in range(3)], config(max_targets=2))
    assert [r.outcome for r in run.results] == [Outcome.OK, Outcome.OK, Outcome.SKIPPED]
    assert run.results[2].extra == {"skip": "max_targets"} and run.not_checked() == 1


def test_bad_allow_list_entry_is_a_config_error() -> None:
    from ren_index.errors import ConfigError

    with pytest.raises(ConfigError, match="REN_LINKS_ALLOW_HOSTS"):
        run_checks([target("http://example.org/")], config(allow_hosts=("http://intranet/",)))


def test_the_defaults_are_validation_yamls() -> None:
    from ren_index.config.rules import LinkRules

    rules = LinkRules(concurrency=3, per_host=1, per_host_delay_s=0.5, timeout_s=4, deadline_minutes=2)
    built = CheckerConfig.from_settings(load_settings(), rules, max_targets=7)
    assert (built.concurrency, built.per_host, built.per_host_delay) == (3, 1, 0.5)
    assert (built.request_timeout, built.deadline, built.max_targets) == (4.0, 120.0, 7)
    defaults = CheckerConfig.from_settings(load_settings())
    plain = CheckerConfig()
    assert (defaults.concurrency, defaults.per_host, defaults.per_host_delay) == (
        plain.concurrency,
        plain.per_host,
        plain.per_host_delay,
    )
    assert (defaults.request_timeout, defaults.deadline, defaults.max_redirects) == (
        plain.request_timeout,
        plain.deadline,
        plain.max_redirects,
    )


@pytest.mark.parametrize("field", ["concurrency", "per_host", "request_timeout", "deadline"])
def test_config_bounds_must_be_positive(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        CheckerConfig(**{field: 0})  # type: ignore[arg-type]
