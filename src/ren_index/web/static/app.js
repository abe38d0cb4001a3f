/* ren-index review UI: progressive enhancement only, every page works without it.
   Loaded from /static because the Content-Security-Policy forbids inline scripts and on*
   attributes. Hooks, by data attribute:
     <form data-confirm="Message">           ask before submitting (also on a submit button)
     <input type="checkbox" data-select-all="ids">   toggles every checkbox named "ids"
     <span data-selected-count="ids">        shows how many "ids" checkboxes are checked
     <select data-autosubmit>                submits its form when changed (filters)
     <a data-hotkey="j">                     the key follows the link / clicks the button
   The CSRF token is in <meta name="csrf-token">; window.renIndex.csrfToken() returns it and it is
   sent as X-CSRF-Token by htmx (if a page uses it) and by window.renIndex.post(). */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken(), "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
  }

  window.renIndex = { csrfToken: csrfToken, post: post };

  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRF-Token"] = csrfToken();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  function updateCounts(name) {
    var boxes = document.querySelectorAll('input[type="checkbox"][name="' + name + '"]');
    var checked = 0;
    boxes.forEach(function (box) { if (box.checked) { checked += 1; } });
    document.querySelectorAll('[data-selected-count="' + name + '"]').forEach(function (el) {
      el.textContent = String(checked);
    });
    document.querySelectorAll('[data-select-all="' + name + '"]').forEach(function (all) {
      all.checked = boxes.length > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) { return; }
    var group = target.getAttribute("data-select-all");
    if (group) {
      document.querySelectorAll('input[type="checkbox"][name="' + group + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
      updateCounts(group);
      return;
    }
    if (target instanceof HTMLInputElement && target.type === "checkbox" && target.name) {
      updateCounts(target.name);
    }
    if (target.hasAttribute("data-autosubmit") && target.form) {
      target.form.requestSubmit();
    }
  });

  function typing(element) {
    if (!(element instanceof HTMLElement)) { return false; }
    var tag = element.tagName;
    return element.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key.replace(/"/g, "");
    var target = document.querySelector('[data-hotkey="' + key + '"]');
    if (target instanceof HTMLElement) {
      event.preventDefault();
      target.click();
    }
  });
})();
