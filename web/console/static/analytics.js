// analytics.js: the fund teams' dashboard (leads and admins): figures for a date range, overall or
// per team, the charts (SVG drawn by the server), every table with its CSV export, and the knowledge
// gaps, each one click from a draft FAQ entry that the team edits and publishes.

function AnalyticsView(app) {
  var root = el("section", { class: "admin analytics", "aria-labelledby": "analytics-title" });
  var published = PublishedGaps(app); // what the team published from gaps, each one click from taken back
  // Empty at first: the service's default period (the last 30 days in FUNDDESK_TIMEZONE, which may not
  // be the browser's: at 01:00 in Shanghai a browser on UTC is still on yesterday), then the period it
  // answered for is shown in them.
  var from = el("input", { type: "date", name: "from" });
  var to = el("input", { type: "date", name: "to" });
  var team = el("select", { name: "team" });
  var body = el("div", { class: "admin__body analytics__body" });

  function query() {
    var parts = ["from=" + encodeURIComponent(from.value), "to=" + encodeURIComponent(to.value)];
    if (team.value) parts.push("team=" + encodeURIComponent(team.value));
    return "?" + parts.join("&");
  }

  function show() {
    clear(root);
    clear(team).appendChild(el("option", { value: "", text: AT.allTeams }));
    var user = app.user();
    app.teams().forEach(function (t) {
      if (user.role === "admin" || user.teams.indexOf(t.id) >= 0) team.appendChild(el("option", { value: t.id, text: t.name }));
    });
    var form = el("form", { class: "inline-form analytics__range" }, [
      field(AT.from, from),
      field(AT.to, to),
      field(AT.team, team),
      el("button", { type: "submit", class: "primary", text: AT.apply }),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      load();
    });
    append(root, [el("h2", { id: "analytics-title", tabindex: "-1", text: AT.title }), form, body]);
    load();
  }

  function load() {
    var q = query();
    root.setAttribute("aria-busy", "true");
    Promise.all([app.api.analytics("summary", q), app.api.analytics("gaps", q)])
      .then(function (results) {
        render(results[0], results[1].gaps, q);
      })
      .catch(function (error) {
        toast(problem(error), "error");
      })
      .then(function () {
        root.removeAttribute("aria-busy");
      });
  }

  function render(summary, gaps, q) {
    var C = AT.columns;
    if (!from.value && !to.value && summary.period) {
      from.value = summary.period.from;
      to.value = summary.period.to;
    }
    clear(body);
    var stats = el("dl", { class: "analytics__stats" });
    Object.keys(AT.metrics).forEach(function (key) {
      var value = summary[key];
      var shown = key.slice(-5) === "_rate" ? (value * 100).toFixed(1) + "%" : String(value);
      append(stats, el("div", { class: "stat" }, [
        el("dt", { text: AT.metrics[key] }),
        el("dd", { "data-metric": key, "data-value": String(value), text: shown }),
      ]));
    });
    body.appendChild(el("section", { class: "card" }, [stats, csvLink("overview", q)]));
    var charts = el("div", { class: "analytics__charts" });
    Object.keys(AT.charts).forEach(function (name) {
      append(charts, el("figure", { class: "card chart" }, [
        el("img", { src: API_BASE + "analytics/charts/" + name + ".svg" + q + "&lang=" + LANG, alt: AT.charts[name], "data-chart": name }),
        el("figcaption", { text: AT.charts[name] }),
      ]));
    });
    body.appendChild(charts);
    body.appendChild(table("languages", [C.lang, C.questions, C.answer_rate, C.clarify_rate, C.fallback_rate],
      Object.keys(summary.by_language).map(function (lang) {
        var r = summary.by_language[lang];
        return [lang, r.questions, pct(r.answer_rate), pct(r.clarify_rate), pct(r.fallback_rate)];
      }), q));
    body.appendChild(table("handoffs", [C.reason, C.handoffs], Object.keys(summary.handoffs).map(function (reason) {
      return [T.reasons[reason] || reason, summary.handoffs[reason]];
    }), q));
    body.appendChild(table("feedback", [C.entry, C.helpful, C.not_helpful], summary.feedback_by_entry.map(function (r) {
      return [r.entry_id, r.helpful, r.not_helpful];
    }), q));
    var resp = summary.response;
    var R = AT.response;
    body.appendChild(table("response", [C.measure, C.value], [
      [R.handoffs, resp.handoffs],
      [R.first_p50, seconds(resp.first_response_p50_s)],
      [R.first_p90, seconds(resp.first_response_p90_s)],
      [R.resolution_p50, seconds(resp.resolution_p50_s)],
      [R.sla, resp.sla.met + " / " + resp.sla.missed + " / " + resp.sla.pending],
      [R.sla_met, pct(resp.sla_met_rate)],
    ], q));
    body.appendChild(table("incidents", [C.number, C.topic, C.detected, C.size, C.minutes_to_answer],
      summary.incidents.map(function (i) {
        return [i.id, i.label, dateTime(i.detected_at), i.size, i.minutes_to_answer === null ? "—" : i.minutes_to_answer];
      }), q));
    body.appendChild(table("entries_that_hurt", [C.entry, C.not_helpful, C.handoffs_after],
      summary.entries_that_hurt.map(function (r) {
        return [r.entry_id, r.not_helpful, r.handoffs_after];
      }), q));
    body.appendChild(gapTable(gaps, q));
    body.appendChild(published.section);
    published.load();
  }

  function pct(rate) {
    return (rate * 100).toFixed(1) + "%";
  }

  function seconds(value) {
    return value === null || value === undefined ? "—" : duration(value);
  }

  function csvLink(name, q) {
    // With a byte order mark: Excel, which most fund teams open these in, reads Chinese text right only so.
    var href = API_BASE + "analytics/export/" + name + ".csv" + q + (q ? "&" : "?") + "excel=1";
    return el("a", { class: "csv", href: href, download: "", "data-csv": name, text: AT.csv });
  }

  function table(name, header, rows, q) {
    var tbody = el("tbody");
    if (!rows.length) tbody.appendChild(el("tr", {}, el("td", { colspan: String(header.length), text: AT.nothing })));
    rows.forEach(function (row) {
      tbody.appendChild(el("tr", {}, row.map(function (cell) {
        return el("td", { text: String(cell) });
      })));
    });
    return el("section", { class: "card", "data-table": name }, [
      el("h3", {}, [el("span", { text: AT.tables[name] + " " }), csvLink(name, q)]),
      el("table", { class: "table" }, [el("thead", {}, el("tr", {}, header.map(function (h) {
        return el("th", { text: h });
      }))), tbody]),
    ]);
  }

  function gapTable(gaps, q) {
    var list = el("div", { class: "gaps" });
    if (!gaps.length) list.appendChild(el("p", { text: AT.nothing }));
    gaps.forEach(function (gap) {
      var editor = el("div", { class: "gap__draft" });
      var item = el("article", { class: "gap", "data-gap": gap.id }, [
        el("h4", { text: gap.samples[0] || gap.id }),
        el("p", { class: "gap__meta", text: fill(AT.gapSize, { n: gap.size }) + " · " + gap.languages.join(", ") +
          (gap.funds.length ? " · " + gap.funds.join(", ") : "") }),
        el("ul", {}, gap.samples.slice(1, 6).map(function (s) {
          return el("li", { text: s });
        })),
        button(AT.draft, function () {
          draft(gap, q, editor);
        }, { class: "gap__make-draft" }),
        editor,
      ]);
      list.appendChild(item);
    });
    return el("section", { class: "card", "data-table": "gaps" }, [
      el("h3", {}, [el("span", { text: AT.tables.gaps + " " }), csvLink("gaps", q)]),
      list,
    ]);
  }

  function draft(gap, q, editor, fresh) {
    app.api.draftGap(gap.id, q + (fresh ? "&fresh=1" : "")).then(function (made) {
      var text = el("textarea", { class: "gap__markdown", rows: "14", spellcheck: "false", "aria-label": AT.draftLabel });
      text.value = made.markdown;
      var publish = button(AT.publish, function () {
        app.api.publishDraft(made.entry_id, text.value).then(function () {
          toast(AT.published);
          published.load();
        }, function (error) {
          toast(problem(error), "error");
        });
      }, { class: "primary gap__publish" });
      clear(editor);
      // A saved draft (the team's last edit, or an answer taken back) comes back as it was left, never redrafted.
      var said = el("p", { text: fill(made.kept ? AT.draftKept : AT.draftSaved, { path: made.path }) });
      var anew = made.kept ? button(AT.draftAnew, function () {
        draft(gap, q, editor, true);
      }, { class: "gap__draft-anew" }) : null;
      append(editor, [said, text, publish].concat(anew ? [anew] : []));
      text.focus();
    }, function (error) {
      toast(problem(error), "error");
    });
  }

  return { root: root, show: show };
}
