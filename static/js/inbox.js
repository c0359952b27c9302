/* Inbox: toasts, keyboard shortcuts, help overlay, bulk selection. Hand-written, no dependencies
   beyond htmx (served by django-htmx). Everything here is an enhancement: the pages work without. */
(function () {
  "use strict";

  // --- time zone: tell the server the browser's zone (used unless the profile names one) ------
  (function rememberZone() {
    try {
      var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      var saved = (document.cookie.match(/(?:^|;\s*)tz=([^;]*)/) || [])[1];
      if (zone && decodeURIComponent(saved || "") !== zone) {
        document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
      }
    } catch (e) { /* no Intl: the server's zone is used */ }
  })();

  // --- task page: typing pauses its self-refresh (a swap would drop what you typed) ----------
  document.addEventListener("input", function (evt) {
    var body = evt.target.closest && evt.target.closest("#task-body");
    if (body) body.setAttribute("data-dirty", "");
  });

  // --- toasts ------------------------------------------------------------------------------
  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + (level || "info");
    el.setAttribute("role", level === "error" ? "alert" : "status");
    el.textContent = message;
    box.appendChild(el);
    dismissLater(el);
    // never a pile: the newest few stay, older ones go (they would cover the page)
    var shown = box.querySelectorAll(".toast:not(.leaving)");
    for (var i = 0; i < shown.length - MAX_TOASTS; i++) shown[i].remove();
  }
  var MAX_TOASTS = 3;
  function dismissLater(el) {
    setTimeout(function () {
      el.classList.add("leaving");
      setTimeout(function () { el.remove(); }, 350);
    }, 4500);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(dismissLater);
    restoreSelection();
  });
  document.body && document.body.addEventListener("toast", onToast);
  document.addEventListener("toast", onToast);
  function onToast(evt) {
    if (evt.__inboxSeen) return;
    evt.__inboxSeen = true;
    var items = evt.detail && (evt.detail.value || evt.detail);
    if (!Array.isArray(items)) items = [items];
    items.forEach(function (t) { if (t && t.message) toast(t.message, t.level); });
  }
  document.addEventListener("htmx:responseError", function (evt) {
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    var text = status === 404 ? "That is no longer available to you." :
      status === 403 ? "You are not allowed to do that." : "Something went wrong (" + status + "). Try again.";
    toast(text, "error");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The server cannot be reached. Check your connection.", "error");
  });

  // --- help overlay ------------------------------------------------------------------------
  var helpOpener = null;
  function help(show) {
    var el = document.getElementById("help");
    if (!el) return;
    var wasHidden = el.hidden;
    el.hidden = show === undefined ? !el.hidden : !show;
    if (!el.hidden && wasHidden) {
      helpOpener = document.activeElement;
      var b = el.querySelector("[data-help-close]"); if (b) b.focus();
    } else if (el.hidden && !wasHidden) {
      // focus goes back where it was (the ? button, or the list)
      var back = helpOpener && helpOpener !== document.body && document.contains(helpOpener) ?
        helpOpener : document.querySelector("[data-help-open]");
      helpOpener = null;
      if (back && back.focus) back.focus();
    }
  }
  function focusables(scope) {
    return Array.prototype.filter.call(
      scope.querySelectorAll("a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])"),
      function (n) { return n.offsetParent !== null; });
  }
  // Tab and Shift+Tab stay inside an open modal dialog
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Tab") return;
    var dialog = document.querySelector("[aria-modal=true]:not([hidden])");
    if (!dialog) return;
    var items = focusables(dialog);
    if (!items.length) { evt.preventDefault(); return; }
    var first = items[0], last = items[items.length - 1];
    if (!dialog.contains(document.activeElement)) { evt.preventDefault(); first.focus(); }
    else if (evt.shiftKey && document.activeElement === first) { evt.preventDefault(); last.focus(); }
    else if (!evt.shiftKey && document.activeElement === last) { evt.preventDefault(); first.focus(); }
  }, true);
  document.addEventListener("click", function (evt) {
    if (evt.target.closest("[data-help-open]")) { help(true); return; }
    if (evt.target.closest("[data-help-close]") || evt.target.id === "help") { help(false); return; }
    // clicking a row (not a control) selects it
    var row = evt.target.closest("tr[data-task-row]");
    if (row && !evt.target.closest("a, button, input, label, summary")) select(row);
    // close other pop-overs
    document.querySelectorAll("details[data-pop][open]").forEach(function (d) {
      if (!d.contains(evt.target)) d.open = false;
    });
  });

  // --- list selection ------------------------------------------------------------------------
  var selectedId = null;
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr[data-task-row]")); }
  function current() { return document.querySelector("tr[data-task-row].is-selected"); }
  function select(row) {
    rows().forEach(function (r) { r.classList.remove("is-selected"); r.removeAttribute("aria-selected"); });
    if (!row) return;
    row.classList.add("is-selected");
    row.setAttribute("aria-selected", "true");
    selectedId = row.dataset.taskId || row.dataset.href;
    var rect = row.getBoundingClientRect();
    if (rect.top < 60 || rect.bottom > window.innerHeight) row.scrollIntoView({ block: "nearest" });
  }
  function restoreSelection() {
    if (!selectedId) return;
    var row = rows().filter(function (r) { return (r.dataset.taskId || r.dataset.href) === selectedId; })[0];
    if (row) select(row);
  }
  function move(delta) {
    var all = rows();
    if (!all.length) return;
    var idx = all.indexOf(current());
    idx = idx < 0 ? (delta > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, idx + delta));
    select(all[idx]);
  }
  document.addEventListener("htmx:afterSettle", function () { restoreSelection(); updateBulk(); });

  function clickIn(scope, selector) {
    var btn = scope && scope.querySelector(selector);
    if (btn) { btn.click(); return true; }
    return false;
  }

  // --- keyboard ------------------------------------------------------------------------------
  var pendingG = false;
  document.addEventListener("keydown", function (evt) {
    if (evt.metaKey || evt.ctrlKey || evt.altKey) return;
    var t = evt.target;
    var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (evt.key === "Escape") {
      help(false);
      if (typing) t.blur();
      document.querySelectorAll("details[data-pop][open]").forEach(function (d) { d.open = false; });
      return;
    }
    if (typing) return;
    var helpEl = document.getElementById("help");
    if (helpEl && !helpEl.hidden && evt.key !== "?") return;
    if (pendingG) {
      pendingG = false;
      var dest = { m: "/", l: "/claimable/", h: "/history/" }[evt.key];
      if (dest) { evt.preventDefault(); window.location.href = dest; }
      return;
    }
    switch (evt.key) {
      case "j": evt.preventDefault(); move(1); break;
      case "k": evt.preventDefault(); move(-1); break;
      case "Enter":
      case "o": {
        var row = current();
        if (row && row.dataset.href) { evt.preventDefault(); window.location.href = row.dataset.href; }
        break;
      }
      case "c":
        if (!clickIn(current(), "[data-claim]")) clickIn(document.getElementById("task-body"), "[data-claim]");
        break;
      case "r":
        if (!clickIn(current(), "[data-release]")) clickIn(document.getElementById("task-body"), "[data-release]");
        break;
      case "/": {
        var search = document.querySelector("input[type=search]");
        if (search) { evt.preventDefault(); search.focus(); search.select(); }
        break;
      }
      case "?": evt.preventDefault(); help(); break;
      case "g": pendingG = true; setTimeout(function () { pendingG = false; }, 1200); break;
    }
  });

  // --- bulk selection (admin list) -------------------------------------------------------------
  function updateBulk() {
    var label = document.querySelector("[data-bulk-count]");
    if (!label) return;
    var boxes = document.querySelectorAll("input[name=task][form=bulk-form]");
    var n = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
    label.textContent = n + " selected";
    var all = document.querySelector("[data-select-all]");
    if (all) { all.checked = n > 0 && n === boxes.length; all.indeterminate = n > 0 && n < boxes.length; }
  }
  document.addEventListener("change", function (evt) {
    if (evt.target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=task][form=bulk-form]").forEach(function (b) { b.checked = evt.target.checked; });
    }
    if (evt.target.matches("[data-select-all], input[name=task]")) updateBulk();
  });

  // --- forms: after a validation error, focus goes to the first field that needs fixing ------
  function focusFirstInvalid(scope) {
    var bad = scope && scope.querySelector("[aria-invalid=true], .invalid input, .invalid textarea, .invalid select");
    if (!bad) return;
    if (bad.tagName === "FIELDSET") bad = bad.querySelector("input") || bad;
    if (bad.focus) { bad.focus({ preventScroll: true }); bad.scrollIntoView({ block: "center" }); }
  }
  document.addEventListener("DOMContentLoaded", function () { focusFirstInvalid(document.getElementById("main")); });
  document.addEventListener("htmx:afterSettle", function (evt) {
    var source = evt.detail && evt.detail.requestConfig;
    if (source && String(source.verb).toLowerCase() === "post") {
      var scope = evt.detail.target;  // after an outerHTML swap, the element now in its place
      if (scope && !document.contains(scope)) scope = (scope.id && document.getElementById(scope.id)) || document.getElementById("main");
      focusFirstInvalid(scope);
    }
    // a bulk result closes the pop-over that asked for it, so the report is not hidden
    if (evt.detail.target && evt.detail.target.id === "bulk-report") {
      document.querySelectorAll("#bulk-form details[data-pop][open]").forEach(function (d) { d.open = false; });
    }
  });

  // --- filters: Back/Forward shows the filters that go with the rows ------------------------
  // htmx restores a snapshot of the page, but a snapshot keeps the form as first rendered; the
  // URL is the truth, so the filter form is set from it.
  function syncFilters() {
    var params = new URLSearchParams(window.location.search);
    document.querySelectorAll("form[role=search][hx-push-url]").forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name) return;
        var value = params.get(el.name);
        if (el.type === "checkbox" || el.type === "radio") el.checked = value !== null && value === el.value;
        else if (el.tagName === "SELECT" || el.tagName === "INPUT" || el.tagName === "TEXTAREA") el.value = value === null ? "" : value;
      });
    });
  }
  document.addEventListener("htmx:historyRestore", syncFilters);
  window.addEventListener("pageshow", function (evt) { if (evt.persisted) syncFilters(); });

  // --- navigation counts: the loader's answer fills the page's counts (out-of-band swaps) -----
  // Back/Forward swaps in a snapshot while a loader's request may still be out: the loader is
  // detached, and htmx would look for the counts inside its detached header. Its answer is
  // dropped (the snapshot's own loader asks again). The listener sits on the loader itself:
  // a detached element's events never reach the document.
  if (window.htmx) {
    htmx.onLoad(function (root) {
      var loaders = root.querySelectorAll ? Array.prototype.slice.call(root.querySelectorAll("[data-nav-loader]")) : [];
      if (root.matches && root.matches("[data-nav-loader]")) loaders.push(root);
      loaders.forEach(function (loader) {
        loader.addEventListener("htmx:beforeSwap", function (evt) {
          if (!loader.isConnected) evt.detail.shouldSwap = false;
        });
      });
    });
  }
})();
