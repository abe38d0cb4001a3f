/* ren-index review pages: keyboard shortcuts and picker filters. Progressive enhancement only:
   every page works without it (CSP: no inline scripts, so it lives here). Hooks:
     [data-hotkey-focus="/"]       "/" focuses that field (the queue's first filter)
     [data-row-link]               queue rows: j / k move between them, Enter follows the link
     [data-hotkey="j"|"k"]         record page: n / p are aliases of j / k (app.js clicks j / k)
     [data-picker-filter="ID"]     search box that hides the [data-picker-item] labels of #ID not matching
     [data-picker-summary="NAME"]  shows the labels of the checked boxes named NAME
     [data-select-filter="ID"]     search box that hides the <option>s of select #ID not matching
     [data-requires="ID"]          a submit button that needs field #ID filled (the bulk reject reason) */
(function () {
  "use strict";

  function typing(element) {
    if (!(element instanceof HTMLElement)) { return false; }
    var tag = element.tagName;
    return element.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function matches(text, query) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    var haystack = fold(text);
    return words.every(function (word) { return haystack.indexOf(word) !== -1; });
  }

  /* Queue rows: j / k move a highlighted current row; Enter (native) follows its focused link. */
  var rowLinks = Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
  var current = -1;

  function moveRow(step) {
    if (!rowLinks.length) { return false; }
    current = Math.max(0, Math.min(rowLinks.length - 1, current + step));
    rowLinks.forEach(function (link, i) {
      var row = link.closest("tr");
      if (row) { row.classList.toggle("is-current-row", i === current); }
    });
    rowLinks[current].focus();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (event.key === "Escape" && typing(target) && target instanceof HTMLElement) {
      target.blur();
      return;
    }
    if (typing(target)) { return; }
    var key = event.key;
    if (key === "/") {
      var field = document.querySelector('[data-hotkey-focus="/"]');
      if (field instanceof HTMLElement) { event.preventDefault(); field.focus(); }
      return;
    }
    if (rowLinks.length && (key === "j" || key === "k")) {
      if (moveRow(key === "j" ? 1 : -1)) { event.preventDefault(); }
      return;
    }
    var alias = { n: "j", p: "k" }[key];
    if (alias) {
      var link = document.querySelector('[data-hotkey="' + alias + '"]');
      if (link instanceof HTMLElement) { event.preventDefault(); link.click(); }
    }
  });

  rowLinks.forEach(function (link, i) {
    link.addEventListener("focus", function () { current = i; });
  });

  /* Pickers: filter check boxes by label. */
  document.querySelectorAll("[data-picker-filter]").forEach(function (input) {
    var box = document.getElementById(input.getAttribute("data-picker-filter"));
    if (!box) { return; }
    input.addEventListener("input", function () {
      box.querySelectorAll("[data-picker-item]").forEach(function (item) {
        item.hidden = !matches(item.textContent, input.value);
      });
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); }  /* never submit the form from a filter box */
    });
  });

  function updateSummary(name) {
    document.querySelectorAll('[data-picker-summary="' + name + '"]').forEach(function (out) {
      var labels = [];
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]:checked').forEach(function (box) {
        var label = box.closest("label");
        if (label) { labels.push(label.textContent.trim()); }
      });
      out.textContent = labels.join(" · ");
    });
  }

  document.querySelectorAll("[data-picker-summary]").forEach(function (out) {
    var name = out.getAttribute("data-picker-summary");
    updateSummary(name);
    document.addEventListener("change", function (event) {
      var box = event.target;
      if (box instanceof HTMLInputElement && box.name === name) { updateSummary(name); }
    });
  });

  /* Licence search: hide options that do not match, and pick the first match on Enter. */
  document.querySelectorAll("[data-select-filter]").forEach(function (input) {
    var select = document.getElementById(input.getAttribute("data-select-filter"));
    if (!(select instanceof HTMLSelectElement)) { return; }
    input.addEventListener("input", function () {
      Array.prototype.forEach.call(select.options, function (option) {
        option.hidden = option.value !== "" && !option.selected && !matches(option.textContent, input.value);
      });
    });
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();
      var first = Array.prototype.find.call(select.options, function (option) {
        return option.value !== "" && !option.hidden && matches(option.textContent, input.value);
      });
      if (first) { select.value = first.value; select.focus(); }
    });
  });

  /* A button that needs a field (reject needs a reason): focus the field instead of submitting. */
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-requires]") : null;
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-requires"));
    if (field instanceof HTMLInputElement && !field.value.trim()) {
      event.preventDefault();
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  }, true);
})();
