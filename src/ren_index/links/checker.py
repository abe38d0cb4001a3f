"""The link checker: every landing URL asked once, politely, with nothing a hostile URL can abuse.

Why it looks like this: the URLs come from partners' data (hostile until proven otherwise) and
point at thousands of small sites (to be treated gently). So, for each link:

1. **Address policy** (:mod:`ren_index.links.addresses`, the harvester's rules): a loopback,
   private, link-local or otherwise non-public address is ``skipped`` before a byte is sent,
   unless ``REN_LINKS_ALLOW_HOSTS`` allows it; a name that does not resolve is ``broken``
   (``dns``). Each redirect hop goes through the same check.
2. **robots.txt** of the site, once per run (:mod:`ren_index.links.robots`): a disallowed URL is
   ``skipped`` with only ``/robots.txt`` asked.
3. **HEAD**, then **GET** when the server refuses HEAD (403, 405, 501) or when the answer is a
   2xx HTML page: the GET is streamed and cut at ``max_body_bytes`` to read the title and first
   heading (soft-404 detection). A non-HTML 2xx (a PDF, a video) is judged on the HEAD alone.
4. **Redirects** by hand, at most ``max_redirects``, each recorded; a loop or one too many is
   ``broken``. The last answer is judged by :mod:`ren_index.links.judge`.

Every request goes through :class:`~ren_index.links.politeness.Politeness` (global and per-host
bounds, per-host spacing) and is bounded in time and size (:mod:`ren_index.links.http`). The run
has an overall deadline: links not finished when it passes come back ``skipped`` with
``extra["skip"] == "deadline"`` (« délai global atteint »), so they count towards nothing and are
checked next run; the same for links beyond ``max_targets``.

Nothing here reads or writes the ledger: targets in, :class:`LinkResult` values out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from ren_index.errors import AddressRefusedError
from ren_index.harvest.addresses import DEFAULT_PORTS, Admission, normal_host
from ren_index.links.addresses import LinkAddressPolicy
from ren_index.links.bounds import ROBOTS_AGENT, CheckerConfig, user_agent
from ren_index.links.http import Answer, FetchFailed, fetch, make_client
from ren_index.links.judge import REDIRECTS, Verdict, failed_verdict, judge_answer, refused_verdict
from ren_index.links.outcomes import LinkResult, LinkTarget, Outcome
from ren_index.links.politeness import Politeness, host_of
from ren_index.links.robots import MAX_BYTES as ROBOTS_BYTES
from ren_index.links.robots import RobotsBook, Rules
from ren_index.links.soft404 import Matcher, is_html

__all__ = ["CheckRun", "CheckerConfig", "check_links", "check_run", "run_checks", "user_agent"]

log = logging.getLogger(__name__)

HEAD_REFUSED = frozenset({403, 405, 501})
DEADLINE_REASON = "délai global atteint, lien non vérifié / run deadline reached, link not checked"


@dataclass(frozen=True)
class CheckRun:
    """What one run did: the results (in the targets' order) and how it behaved."""

    results: list[LinkResult]
    hosts: tuple[str, ...]
    """The targets' hosts (the units of politeness and outages), sorted."""
    duration_s: float
    max_concurrency_per_host: int
    """The most requests the run had in flight to one host at any moment (never above ``per_host``)."""
    deadline_hit: bool
    requests: int = 0
    """Requests sent in all (robots.txt included)."""

    def not_checked(self) -> int:
        """Links returned unchecked because the deadline passed or ``max_targets`` was reached."""
        return sum(1 for r in self.results if r.extra.get("skip") in ("deadline", "max_targets"))


@dataclass
class _Trace:
    """One link's progress, kept outside its task so a link cut by the deadline still reports it."""

    started: float
    checked_at: datetime
    attempts: int = 0
    redirects: list[tuple[int, str]] = field(default_factory=list)


class _Run:
    """One run's client, policy, politeness, robots and admissions: shared by every link task."""

    def __init__(self, config: CheckerConfig, pins: dict[str, str]) -> None:
        self.config = config
        self.pins = pins
        self.policy = LinkAddressPolicy(config.allow_hosts, resolver=config.resolver)
        self.politeness = Politeness(
            concurrency=config.concurrency, per_host=config.per_host, delay=config.per_host_delay
        )
        self.robots = RobotsBook()
        self.client = make_client(
            user_agent=config.user_agent,
            timeout=config.request_timeout,
            connections=config.concurrency,
            pins=pins,
        )
        self.admissions: dict[tuple[str, str, int], Admission | AddressRefusedError] = {}
        self.matchers: dict[tuple[str, ...], Matcher] = {}

    # -- the address policy, once per site --------------------------------------------------

    async def admit(self, url: str) -> Admission:
        """The policy's admission of ``url`` (cached per scheme, host and port; pins recorded)."""
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            key = (scheme, normal_host(parts.hostname or ""), parts.port or DEFAULT_PORTS.get(scheme, 0))
        except ValueError:
            return self.policy.admit(url)  # malformed: refused at once, nothing to resolve
        cached = self.admissions.get(key)
        if cached is None:
            try:
                cached = await asyncio.wait_for(
                    asyncio.to_thread(self.policy.admit, url), self.config.resolve_timeout
                )
            except TimeoutError:
                raise FetchFailed("dns_timeout", "the host name took too long to resolve") from None
            except AddressRefusedError as refused:
                cached = refused
            self.admissions[key] = cached
        if isinstance(cached, AddressRefusedError):
            raise cached
        if cached.pinned is not None:
            self.pins.setdefault(cached.host, cached.pinned)
        return cached

    # -- requests ---------------------------------------------------------------------------

    async def request(self, method: str, url: str, *, max_body: int = 0, any_body: bool = False) -> Answer:
        """One polite, bounded request; the body is read for a 2xx (HTML unless ``any_body``)."""

        def want(status: int, headers: httpx.Headers) -> bool:
            return 200 <= status < 300 and (any_body or is_html(headers.get("content-type")))

        async with self.politeness.slot(host_of(url)):
            return await fetch(
                self.client,
                method,
                url,
                timeout=self.config.request_timeout,
                max_body=max_body,
                want_body=want,
            )

    async def _robots_fetch(self, url: str) -> Answer:
        await self.admit(url)
        return await self.request("GET", url, max_body=ROBOTS_BYTES, any_body=True)

    async def robots_rules(self, url: str) -> Rules:
        rules = await self.robots.rules(url, self._robots_fetch)
        delay = rules.crawl_delay(ROBOTS_AGENT)
        if delay:
            self.politeness.slow_down(host_of(url), min(delay, self.config.max_crawl_delay))
        return rules

    def matcher(self, target: LinkTarget) -> Matcher:
        matcher = self.matchers.get(target.soft_404)
        if matcher is None:
            matcher = self.matchers[target.soft_404] = Matcher.for_source(target.soft_404)
        return matcher

    # -- one link ---------------------------------------------------------------------------

    async def check(self, target: LinkTarget, trace: _Trace) -> LinkResult:
        """Follow ``target``'s URL to its last answer and judge it."""
        config = self.config
        current, method = target.url, "HEAD"
        visited = {urldefrag(target.url).url}
        for _ in range(config.max_redirects + 3):  # hops, plus HEAD→GET once, plus the last answer
            verdict = await self._before_request(current)
            if verdict is not None:
                return self.result(target, trace, verdict, current)
            try:
                answer = await self.request(method, current, max_body=config.max_body_bytes)
            except FetchFailed as failed:
                trace.attempts += 1
                return self.result(target, trace, failed_verdict(failed), current)
            trace.attempts += 1
            status = answer.status
            if method == "HEAD" and (
                status in HEAD_REFUSED
                or (200 <= status < 300 and is_html(answer.headers.get("content-type")))
            ):
                method = "GET"  # HEAD refused, or a page whose title we must read
                continue
            if status not in REDIRECTS:
                verdict = judge_answer(
                    target.url, current, tuple(trace.redirects), answer, self.matcher(target)
                )
                return self.result(target, trace, verdict, current, status)
            next_url = _location(current, answer.headers.get("location"))
            if next_url is None:
                verdict = Verdict(
                    Outcome.BROKEN,
                    f"redirection sans adresse lisible ({status}) / redirect without a readable"
                    f" Location ({status})",
                    "bad_redirect",
                )
                return self.result(target, trace, verdict, current, status)
            trace.redirects.append((status, next_url))
            if urldefrag(next_url).url in visited:
                verdict = Verdict(Outcome.BROKEN, "boucle de redirections / redirect loop", "loop")
                return self.result(target, trace, verdict, next_url, status)
            if len(trace.redirects) > config.max_redirects:
                verdict = Verdict(
                    Outcome.BROKEN,
                    f"plus de {config.max_redirects} redirections / more than {config.max_redirects}"
                    " redirects",
                    "too_many_redirects",
                )
                return self.result(target, trace, verdict, next_url, status)
            visited.add(urldefrag(next_url).url)
            current = next_url
        raise AssertionError("the loop returns before its bound")  # pragma: no cover

    async def _before_request(self, url: str) -> Verdict | None:
        """The address policy's and robots.txt's say on ``url``: a verdict when it is not to be asked."""
        try:
            await self.admit(url)
        except AddressRefusedError as refused:
            return refused_verdict(refused)
        except FetchFailed as failed:
            return failed_verdict(failed)
        rules = await self.robots_rules(url)
        if rules.failure is not None:  # the site did not answer: judged like the page would be
            outcome = Outcome.BROKEN if rules.failure in ("dns", "malformed") else Outcome.UNREACHABLE
            return Verdict(outcome, rules.why, rules.failure, {"robots": "unreachable"})
        if rules.allows(url, ROBOTS_AGENT):
            return None
        if rules.parsed is not None:
            why = "robots.txt l'interdit / disallowed by robots.txt"
            return Verdict(Outcome.SKIPPED, why, extra={"skip": "robots"})
        extra = {"skip": "robots_unavailable"}
        if rules.status is not None:
            extra["robots_status"] = str(rules.status)
        return Verdict(Outcome.SKIPPED, rules.why, extra=extra)

    def result(
        self,
        target: LinkTarget,
        trace: _Trace,
        verdict: Verdict,
        where: str,
        status: int | None = None,
    ) -> LinkResult:
        return LinkResult(
            record_id=target.record_id,
            url=target.url,
            host=host_of(target.url),
            outcome=verdict.outcome,
            checked_at=trace.checked_at,
            http_status=status,
            final_url=where if trace.redirects else None,
            redirects=tuple(trace.redirects),
            attempts=trace.attempts,
            elapsed_s=round(time.monotonic() - trace.started, 4),
            reason=verdict.reason,
            failure=verdict.failure,
            extra=verdict.extra,
        )


def _location(current: str, location: str | None) -> str | None:
    """The absolute URL a ``Location`` header names, ``None`` when missing or unreadable."""
    if not location or len(location) > 8192:
        return None
    try:
        resolved = urljoin(current, location.strip())
        urlsplit(resolved).port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    return resolved


def _unchecked(target: LinkTarget, trace: _Trace | None, why: str, skip: str) -> LinkResult:
    return LinkResult(
        record_id=target.record_id,
        url=target.url,
        host=host_of(target.url),
        outcome=Outcome.SKIPPED,
        checked_at=trace.checked_at if trace else datetime.now(UTC),
        redirects=tuple(trace.redirects) if trace else (),
        attempts=trace.attempts if trace else 0,
        reason=why,
        extra={"skip": skip},
    )


async def check_run(
    targets: Iterable[LinkTarget],
    config: CheckerConfig,
    *,
    on_result: Callable[[LinkResult], None] | None = None,
) -> CheckRun:
    """Check ``targets`` within ``config``'s bounds; ``on_result`` sees each result as it comes
    (a progress bar). Links of one host are taken in the order given, hosts side by side."""
    started = time.monotonic()
    everything = list(targets)
    kept = everything[: config.max_targets]
    results: list[LinkResult | None] = [None] * len(kept)
    traces: list[_Trace | None] = [None] * len(kept)
    queues: dict[str, deque[int]] = {}
    for index, target in enumerate(kept):
        queues.setdefault(host_of(target.url), deque()).append(index)
    run = _Run(config, pins={})

    async def work(queue: deque[int]) -> None:
        while queue:
            index = queue.popleft()
            trace = traces[index] = _Trace(time.monotonic(), datetime.now(UTC))
            try:
                result = await run.check(kept[index], trace)
            except Exception as exc:  # a bug must not lose the other links' results
                log.exception("link check of %s failed", kept[index].url)
                why = f"erreur interne / internal error: {exc.__class__.__name__}"
                result = run.result(kept[index], trace, Verdict(Outcome.UNREACHABLE, why, "internal"), "")
            results[index] = result
            if on_result is not None:
                on_result(result)

    async with run.client:
        tasks = [
            asyncio.create_task(work(queue))
            for queue in queues.values()
            for _ in range(min(config.per_host, len(queue)))
        ]
        pending: set[asyncio.Task[None]] = set()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=config.deadline)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    final = [
        result if result is not None else _unchecked(kept[i], traces[i], DEADLINE_REASON, "deadline")
        for i, result in enumerate(results)
    ]
    final.extend(
        _unchecked(
            target,
            None,
            f"plus de {config.max_targets} liens dans ce passage / more than {config.max_targets} links"
            " in this run",
            "max_targets",
        )
        for target in everything[config.max_targets :]
    )
    return CheckRun(
        results=final,
        hosts=tuple(sorted(queues)),
        duration_s=round(time.monotonic() - started, 3),
        max_concurrency_per_host=run.politeness.peak_per_host(),
        deadline_hit=bool(pending),
        requests=sum(gate.requests for gate in run.politeness.gates.values()),
    )


async def check_links(targets: Iterable[LinkTarget], config: CheckerConfig) -> list[LinkResult]:
    """Check ``targets``; one :class:`LinkResult` per target, in their order."""
    return (await check_run(targets, config)).results


def run_checks(
    targets: Iterable[LinkTarget],
    config: CheckerConfig,
    *,
    on_result: Callable[[LinkResult], None] | None = None,
) -> CheckRun:
    """:func:`check_run` from synchronous code (the CLI, a Prefect task, a web worker thread).

    It runs on an event loop of its own; when the calling thread already runs one (a Prefect
    flow, a notebook, a test session driving a browser), ``asyncio.run`` would refuse, so the
    check runs on a loop in a thread of its own and this waits for it.
    """
    coroutine = check_run(targets, config, on_result=on_result)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ren-links") as pool:
        return pool.submit(asyncio.run, coroutine).result()
