"""The web app: the documentalists' review UI, the portal API and the OAI-PMH provider.

Contracts that route modules rely on (keep them stable; extend rather than rename):

``web/app.py``
    ``create_app(settings=None) -> FastAPI``. ``app.state.settings`` (:class:`Settings`),
    ``app.state.ledger`` (``sessionmaker`` from ``open_ledger``), ``app.state.templates``
    (:class:`Jinja2Templates`, autoescape on), ``app.state.login_failure_delay`` (seconds,
    ``REN_LOGIN_FAILURE_DELAY``, default 0.5). Static files at ``/static`` (served by the app, no
    CDN), OpenAPI at ``/docs`` and ``/openapi.json``, ``GET /healthz`` →
    ``{"status": "ok"|"degraded", "ledger": "ok"|"error: …", "opensearch": "ok"|"unreachable"}``
    (always 200). The routers are listed in ``ROUTE_MODULES`` (``web/review/pages.py`` and
    ``web/review/actions.py`` use ``prefix="/review"``).

``web/auth.py``
    ``UserInfo`` (frozen: ``id``, ``name``, ``role``; property ``can_decide``),
    ``current_user(request) -> UserInfo | None``, dependency ``require_user`` (GET/HEAD: 303 to
    ``/review/login?next=<path>``; other methods: 401), ``require_role(*roles)`` (403 "Accès
    refusé" otherwise). Annotated shortcuts: ``CurrentUser`` (any logged-in user) and
    ``Decider`` (documentalist or admin). Routes: ``GET/POST /review/login``,
    ``POST /review/logout``, ``GET /review/_whoami`` (JSON).

``web/security.py``
    ``csrf_token(request) -> str``, ``verify_csrf(request, token)`` (403), ``csrf_protect``: an
    app-wide dependency that checks the ``csrf_token`` form field or the ``X-CSRF-Token`` header
    on every non-GET/HEAD request under ``/review`` — routes need do nothing, forms must carry
    ``<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">``. Security headers on
    every response (CSP without ``unsafe-inline``: no inline ``<script>``, ``on*=`` or ``style=``
    in templates), ``Cache-Control: no-store`` under ``/review``. Session cookie ``ren_session``
    (8 h, SameSite=lax, Secure with ``REN_COOKIE_SECURE=1``), key from ``REN_SECRET_KEY`` or
    ``<REN_DATA_DIR>/secret_key``.

``web/deps.py``
    ``get_settings``, ``get_ledger``, ``db_session`` (``DbSession`` annotated),
    ``render(request, name, context, status_code=, headers=)``, ``flash(request, key, kind)``.
    Write ledger-touching routes as plain ``def`` (run in the thread pool).

``web/i18n.py``
    ``t(request, key, **values)`` in Python; ``{{ t('key', name=...) }}`` in templates. French by
    default, ``?lang=en|fr`` sets the ``ren_lang`` cookie. The words are in ``web/messages/``: add
    every key to both ``fr`` and ``en``.

Templates extend ``base.html`` (blocks ``title``, ``head``, ``nav``, ``flashes``, ``content``,
``scripts``; variables ``user``, ``lang`` and globals ``t``, ``csrf_token``, ``lang_url``,
``flashes``, ``version``). Reusable CSS classes are listed at the top of ``static/app.css``; the
``data-*`` behaviours of ``static/app.js`` at the top of that file.
"""
