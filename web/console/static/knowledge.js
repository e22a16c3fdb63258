// knowledge.js: the knowledge base's health (leads and admins). Fund teams edit the FAQ files on disk; each
// action server reads them at its start and after every edit, and what a broken edit breaks keeps serving its
// last good version. This page shows, per action server, what serves and every problem it found as file:line,
// errors first, with what serves in the problem's place, so nobody has to read a server's log.

function KnowledgeView(app) {
  var K = T.knowledge;
  var root = el("section", { class: "admin knowledge", "aria-labelledby": "knowledge-title" });
  var body = el("div", { class: "admin__body knowledge__body" });
  var again = button(K.reload, load, { class: "knowledge__reload" });
  var SEVERITY_ORDER = { error: 0, warning: 1 };
  // Action servers read an edit within a second and report it at once; the page asks again this often while it is
  // shown in a visible tab, so a fund team watching it after saving a file sees the outcome without reloading.
  var REFRESH_MS = 5000;
  var timer = null;
  var shown = ""; // what the page shows, as received: a refresh that changes nothing redraws nothing

  function show() {
    clear(root);
    shown = "";
    if (timer !== null) window.clearInterval(timer);
    timer = window.setInterval(refresh, REFRESH_MS);
    var title = el("h2", { id: "knowledge-title", tabindex: "-1", text: K.title });
    append(root, [
      el("div", { class: "knowledge__top" }, [title, again]),
      el("p", { class: "knowledge__hint", text: K.hint }),
      body,
    ]);
    title.focus();
    load();
  }

  function refresh() {
    if (!root.isConnected) {
      window.clearInterval(timer); // another page is shown: show() starts again
      timer = null;
    } else if (!document.hidden && !again.disabled) {
      load(true);
    }
  }

  function load(quietly) {
    root.setAttribute("aria-busy", "true");
    again.disabled = true;
    app.api
      .knowledge()
      .then(function (data) {
        var servers = (data && data.servers) || [];
        var now = JSON.stringify(servers);
        if (now !== shown) render(servers);
        shown = now;
      })
      .catch(function (error) {
        if (error.status !== 401 && quietly !== true) toast(problem(error), "error");
      })
      .then(function () {
        root.removeAttribute("aria-busy");
        again.disabled = false;
      });
  }

  function render(servers) {
    clear(body);
    if (!servers.length) {
      body.appendChild(el("p", { class: "card knowledge__none", text: K.noServers }));
      return;
    }
    var many = servers.length > 1;
    servers.forEach(function (server) {
      body.appendChild(serverCard(server, many));
    });
  }

  // One action server: what it serves and when it read the files, then its problems.
  function serverCard(server, many) {
    var card = el("section", {
      class: "card knowledge__server",
      "data-server": server.server,
      "data-outcome": server.outcome,
    });
    if (many) card.appendChild(el("h3", { class: "knowledge__name", text: fill(K.server, { server: server.server }) }));
    var serving = fill(K.serving, {
      entries: count(server.entries, K.oneEntry, K.entries),
      files: count(server.files, K.oneFile, K.files),
    });
    var checked = fill(K.checked, { time: when(server.checked_at) });
    card.appendChild(el("p", { class: "knowledge__summary" }, [
      el("span", { text: serving }),
      " · ",
      el("time", { datetime: server.checked_at, title: dateTime(server.checked_at), text: checked }),
      " · ",
      el("span", { class: "knowledge__counts", text: counts(server) }),
    ]));
    if (server.outcome === "failed") {
      card.appendChild(el("p", { class: "knowledge__failed", role: "alert", text: K.failed }));
    }
    var problems = (server.problems || []).slice().sort(bySeverity);
    if (!problems.length) card.appendChild(el("p", { class: "knowledge__clean", text: K.clean }));
    else card.appendChild(problemTable(problems));
    return card;
  }

  function problemTable(problems) {
    var C = K.columns;
    var tbody = el("tbody");
    problems.forEach(function (p) {
      var row = { class: "knowledge__problem knowledge__problem--" + p.severity, "data-severity": p.severity };
      tbody.appendChild(el("tr", row, [
        el("td", {}, el("code", { class: "knowledge__where", text: where(p) })),
        el("td", {}, el("span", { class: "knowledge__severity", text: K.severity[p.severity] || p.severity })),
        el("td", { class: "knowledge__message", text: inConsoleLanguage(p) }),
        el("td", { class: "knowledge__serves", text: serves(p) }),
      ]));
    });
    return el("table", { class: "table knowledge__table", "data-table": "kb-problems" }, [
      el("thead", {}, el("tr", {}, [C.where, C.severity, C.problem, C.serves].map(function (h) {
        return el("th", { scope: "col", text: h });
      }))),
      tbody,
    ]);
  }

  // Errors first, then warnings (then anything else); within each, by file and line.
  function bySeverity(a, b) {
    var rank = function (p) {
      var r = SEVERITY_ORDER[p.severity];
      return r === undefined ? 2 : r;
    };
    return rank(a) - rank(b) || String(a.file).localeCompare(String(b.file)) || (a.line || 0) - (b.line || 0);
  }

  function where(p) {
    return p.line ? p.file + ":" + p.line : String(p.file);
  }

  // What serves in the problem's place, as a sentence.
  function serves(p) {
    var S = K.serves;
    if (p.serving === "last_good") return p.scope === "file" ? S.fileLastGood : S.lastGood;
    return S[p.serving] || p.serving || "";
  }

  function count(n, one, many) {
    return n === 1 ? one : fill(many, { n: n });
  }

  function counts(server) {
    var parts = [];
    if (server.errors) parts.push(count(server.errors, K.oneError, K.errors));
    if (server.warnings) parts.push(count(server.warnings, K.oneWarning, K.warnings));
    return parts.length ? parts.join(T.listSeparator) : K.noProblems;
  }

  // The time alone when it was today, else the date too.
  function when(iso) {
    var checked = new Date(millis(iso));
    if (isNaN(checked.getTime())) return "";
    return checked.toDateString() === new Date().toDateString() ? clockTime(iso) : dateTime(iso);
  }

  return { root: root, show: show };
}
