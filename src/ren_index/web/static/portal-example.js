/* Example portal page over the ren-index API (docs/portal.md): search, facets, pagination,
   highlights and a resource page, in plain JavaScript with no library.

   The two rules a portal must keep, because harvested text is hostile:
   1. every field of the API is plain text: it goes in with textContent (never innerHTML);
   2. hit.highlight.title / hit.highlight.description are escaped HTML whose only tags are
      <mark> and </mark>: appendHighlight() builds DOM nodes from them, turning only those two
      tags into elements and everything else into text.
   A link's address is used only when it is http(s): a harvested "javascript:" URL stays text.

   The page's state (q, filters, page, or the resource shown) is its own query string, so the
   back button and a shared link work. */
(function () {
  "use strict";

  var root = document.getElementById("portal");
  var API = (root.getAttribute("data-api") || "/api").replace(/\/$/, "");
  var SIZE = Number(root.getAttribute("data-size")) || 10;

  /* Facets shown, in this order: facet name in the response -> filter parameter of /api/search.
     The licence families filter through "licence" too (the parameter takes a URI or a family). */
  var FACETS = [
    { facet: "portal", param: "portal", title: "Portail / portal", single: true },
    { facet: "level", param: "level", title: "Niveau / level" },
    { facet: "language", param: "language", title: "Langue / language" },
    { facet: "licence_family", param: "licence", title: "Licence" },
    { facet: "type", param: "type", title: "Type de ressource / resource type" },
  ];
  var PARAMS = ["portal", "level", "language", "licence", "type"];

  var el = function (id) { return document.getElementById(id); };

  // -- text and highlights ------------------------------------------------------------------

  var ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

  function decodeEntities(text) {
    return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, function (whole, name) {
      if (name.charAt(0) === "#") {
        var code = name.charAt(1).toLowerCase() === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "\uFFFD";
      }
      return Object.prototype.hasOwnProperty.call(ENTITIES, name) ? ENTITIES[name] : whole;
    });
  }

  /* The tiny sanitizer: <mark> and </mark> become a <mark> element; every other character is
     text (entities decoded), so a "<script>" that slipped through would show, never run. */
  function appendHighlight(parent, html) {
    var target = parent;
    String(html).split(/(<mark>|<\/mark>)/).forEach(function (part) {
      if (part === "<mark>") {
        target = parent.appendChild(document.createElement("mark"));
      } else if (part === "</mark>") {
        target = parent;
      } else if (part) {
        target.appendChild(document.createTextNode(decodeEntities(part)));
      }
    });
  }

  /* A localized text ({fr, en}) or a plain string, French first. */
  function textOf(value) {
    if (value == null) return "";
    if (typeof value === "string") return value;
    return value.fr || value.en || Object.values(value).find(Boolean) || "";
  }

  /* A labelled value ({uri|code|value, label_fr, label_en}) or a bare code / URI. */
  function labelOf(value) {
    if (value == null) return "";
    if (typeof value === "string") return value;
    return value.label_fr || value.label_en || value.name || value.code || value.value || value.uri || "";
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function make(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  // -- state: the page's own query string -----------------------------------------------------

  function readState() {
    var query = new URLSearchParams(window.location.search);
    var filters = {};
    PARAMS.forEach(function (param) { filters[param] = query.getAll(param); });
    return {
      q: query.get("q") || "",
      page: Math.max(1, parseInt(query.get("page"), 10) || 1),
      filters: filters,
      resource: query.get("resource"),
    };
  }

  function searchQuery(state, withSize) {
    var query = new URLSearchParams();
    if (state.q) query.set("q", state.q);
    PARAMS.forEach(function (param) {
      state.filters[param].forEach(function (value) { query.append(param, value); });
    });
    if (state.page > 1) query.set("page", String(state.page));
    if (withSize) query.set("size", String(SIZE));
    return query;
  }

  function go(query) {
    var search = query.toString();
    window.history.pushState(null, "", search ? "?" + search : window.location.pathname);
    render();
  }

  // -- the API ----------------------------------------------------------------------------------

  /* fetch() keeps and revalidates answers by itself: the API sends Cache-Control and an ETag,
     so an answer less than a minute old is reused and an older one costs a 304. */
  function getJson(path) {
    return fetch(API + path, { headers: { Accept: "application/json" } }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status + " — " + path);
      }
      return response.json();
    });
  }

  function showError(error) {
    var box = el("px-error");
    box.textContent = "Erreur / error: " + error.message;
    box.hidden = false;
  }

  // -- search page ------------------------------------------------------------------------------

  var lastSearch = "";
  /* The results the resource page's "back" link returns to. */

  function renderSearch(state) {
    lastSearch = searchQuery(state, false).toString();
    el("px-search-view").hidden = false;
    el("px-resource-view").hidden = true;
    el("px-q").value = state.q;
    el("px-status").textContent = "Recherche… / searching…";
    getJson("/search?" + searchQuery(state, true).toString())
      .then(function (body) {
        renderStatus(body);
        renderFacets(body.facets || {}, state);
        renderHits(body.results || []);
        renderPages(body, state);
      })
      .catch(showError);
  }

  function renderStatus(body) {
    var total = Number(body.total) || 0;
    var status = el("px-status");
    clear(status);
    var count = make("strong", null, String(total));
    count.id = "px-total";
    status.appendChild(count);
    status.appendChild(document.createTextNode(total > 1 ? " résultats / results" : " résultat / result"));
  }

  function renderFacets(facets, state) {
    var aside = el("px-facets");
    clear(aside);
    FACETS.forEach(function (spec) {
      var values = facets[spec.facet] || [];
      if (!values.length) return;
      var fieldset = make("fieldset", "px-facet");
      fieldset.setAttribute("data-facet", spec.facet);
      fieldset.appendChild(make("legend", null, spec.title));
      values.forEach(function (bucket) {
        var label = make("label", "px-facet-value");
        var box = document.createElement("input");
        box.type = "checkbox";
        box.value = bucket.value;
        box.checked = state.filters[spec.param].indexOf(bucket.value) !== -1;
        box.addEventListener("change", function () { toggleFilter(state, spec, bucket.value, box.checked); });
        label.appendChild(box);
        label.appendChild(make("span", null, labelOf(bucket) || bucket.value));
        label.appendChild(make("span", "px-count", String(bucket.count)));
        fieldset.appendChild(label);
      });
      aside.appendChild(fieldset);
    });
  }

  function toggleFilter(state, spec, value, checked) {
    var current = state.filters[spec.param].filter(function (v) { return v !== value; });
    if (checked) {
      current = spec.single ? [value] : current.concat([value]);
    }
    state.filters[spec.param] = current;
    state.page = 1;
    go(searchQuery(state, false));
  }

  function renderHits(results) {
    var list = el("px-hits");
    clear(list);
    results.forEach(function (hit) {
      var item = make("li", "px-hit");
      var heading = make("h2", "px-hit-title");
      var link = make("a");
      link.href = "?resource=" + encodeURIComponent(hit.id);
      link.addEventListener("click", function (event) {
        event.preventDefault();
        go(new URLSearchParams({ resource: hit.id }));
      });
      var highlight = hit.highlight || {};
      if (typeof highlight.title === "string") {
        appendHighlight(link, highlight.title);
      } else {
        link.textContent = textOf(hit.title) || hit.id;
      }
      heading.appendChild(link);
      item.appendChild(heading);

      var description = make("p", "px-description");
      if (typeof highlight.description === "string") {
        appendHighlight(description, highlight.description);
      } else {
        description.textContent = textOf(hit.description);
      }
      item.appendChild(description);

      var meta = [hit.levels, hit.languages, hit.resource_types]
        .map(function (values) { return (values || []).map(labelOf).filter(Boolean).join(", "); })
        .concat([labelOf(hit.licence)])
        .filter(Boolean);
      item.appendChild(make("p", "px-meta", meta.join(" · ")));
      list.appendChild(item);
    });
  }

  function renderPages(body, state) {
    var nav = el("px-pages");
    clear(nav);
    var size = Number(body.size) || SIZE;
    var pages = Math.max(1, Math.ceil((Number(body.total) || 0) / size));
    var page = Number(body.page) || state.page;
    if (pages < 2) return;
    function pageLink(number, text, rel) {
      var link = make("a", "px-page", text);
      var target = Object.assign({}, state, { page: number });
      link.href = "?" + searchQuery(target, false).toString();
      if (rel) link.rel = rel;
      link.addEventListener("click", function (event) {
        event.preventDefault();
        go(searchQuery(target, false));
      });
      return link;
    }
    if (page > 1) nav.appendChild(pageLink(page - 1, "← Précédente / previous", "prev"));
    var current = make("span", "px-current", "Page " + page + " / " + pages);
    current.id = "px-page-current";
    nav.appendChild(current);
    if (page < pages) nav.appendChild(pageLink(page + 1, "Suivante / next →", "next"));
  }

  // -- resource page ----------------------------------------------------------------------------

  function renderResource(id) {
    el("px-search-view").hidden = true;
    el("px-resource-view").hidden = false;
    el("px-resource-title").textContent = "…";
    getJson("/resources/" + encodeURIComponent(id)).then(fillResource).catch(showError);
  }

  function fillResource(resource) {
    el("px-resource-title").textContent = textOf(resource.title) || resource.id;
    el("px-resource-description").textContent = textOf(resource.description);
    var link = el("px-resource-link");
    var url = safeUrl(resource.url);
    link.hidden = !url;
    if (url) link.href = url;
    else link.removeAttribute("href");

    var fields = el("px-resource-fields");
    clear(fields);
    var list = function (values) { return (values || []).map(labelOf).filter(Boolean).join(", "); };
    var names = function (values) {
      return (values || []).map(function (v) { return typeof v === "string" ? v : v.name || v.organisation || labelOf(v); })
        .filter(Boolean).join(", ");
    };
    var rows = [
      ["Niveaux / levels", list(resource.levels)],
      ["Langues / languages", list(resource.languages)],
      ["Licence", labelOf(resource.licence)],
      ["Types", list(resource.resource_types)],
      ["Mots-clés / keywords", list(resource.keywords)],
      ["Auteurs / authors", names(resource.authors)],
      ["Contributeurs / contributors", names(resource.contributors)],
      ["Éditeurs / publishers", names(resource.publishers)],
      ["Créée / created", dateOf(resource, "created")],
      ["Modifiée / modified", dateOf(resource, "modified")],
      ["Approuvée / approved", dateOf(resource, "approved")],
      ["Source", resource.source || ""],
    ];
    rows.forEach(function (row) {
      if (!row[1]) return;
      fields.appendChild(make("dt", null, row[0]));
      fields.appendChild(make("dd", null, row[1]));
    });
  }

  function dateOf(resource, name) {
    var dates = resource.dates || {};
    var value = dates[name] || resource[name] || resource["date_" + name];
    return typeof value === "string" ? value.slice(0, 10) : "";
  }

  // -- wiring -----------------------------------------------------------------------------------

  function render() {
    el("px-error").hidden = true;
    var state = readState();
    if (state.resource) renderResource(state.resource);
    else renderSearch(state);
  }

  el("px-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var state = readState();
    state.q = el("px-q").value.trim();
    state.page = 1;
    state.resource = null;
    go(searchQuery(state, false));
  });
  el("px-home").addEventListener("click", function (event) {
    event.preventDefault();
    go(new URLSearchParams());
  });
  el("px-back").addEventListener("click", function (event) {
    event.preventDefault();
    go(new URLSearchParams(lastSearch));
  });
  window.addEventListener("popstate", render);
  render();
})();
