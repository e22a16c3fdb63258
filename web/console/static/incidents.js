// incidents.js: spikes, when many investors suddenly ask the same thing. Each team's open and
// answered incidents sit above its queue; a new one also raises an alert (role="alert": read out
// at once), a desktop notification (notify.js) and a count in the page title, until someone opens
// it. One incident, whole, shows in the right-hand pane: the server's chart (an <img>: an SVG
// image never runs script), the sample questions, one answer published to everyone asking, and
// closing. The server pushes every change staff make and every incident the detector opens ({"type": "incident"});
// the counts and charts the action server writes are followed by asking again (follow, below).

function IncidentsView(app) {
  var incidents = new Map(); // id -> Incident, open and answered ones
  var sections = new Map(); // team id -> {root, list, counts}
  var unseen = new Set(); // ids that arrived while the console was open and nobody opened yet
  var loaded = false;
  var alerts = el("div", { class: "inc-alerts", role: "alert" }); // always in the page, so screen readers hear it
  var detail = IncidentDetail(app, upsert);
  // The action server writes the counts and charts of incidents as their surges go on, and no event says so: while any
  // incident is listed and the tab is visible, the list, and the incident on screen, are asked for again this often
  // (a count moves on with every question, a chart with every 5-minute bucket).
  var FOLLOW_MS = 10000;
  window.setInterval(follow, FOLLOW_MS);

  // The section above a team's queue; the queue asks for it each time it (re)builds its columns.
  function section(team) {
    if (!sections.has(team.id)) {
      var headingId = "incidents-" + team.id;
      var counts = el("span", { class: "incidents__count" });
      var list = el("ul", { class: "incidents__list", "aria-labelledby": headingId });
      var root = el("section", { class: "incidents", "aria-label": T.incidents.title + " · " + team.name, hidden: true }, [
        el("h3", { id: headingId, class: "incidents__title" }, [el("span", { text: T.incidents.title }), counts]),
        list,
      ]);
      sections.set(team.id, { root: root, list: list, counts: counts });
    }
    render(team.id);
    return sections.get(team.id).root;
  }

  function follow() {
    if (!loaded || !incidents.size || document.hidden) return;
    app.api.incidents().then(function (data) {
      if (loaded) load(data.incidents, true);
    }, function () {}); // asked again at the next turn
  }

  function load(list, quietly) {
    var known = new Set(incidents.keys());
    incidents.clear();
    list.forEach(function (incident) {
      incidents.set(incident.id, incident);
      // After a reconnect: one opened while the connection was down is news too.
      if (loaded && !known.has(incident.id) && incident.status === "open") announce(incident);
    });
    loaded = true;
    unseen.forEach(function (id) {
      if (!incidents.has(id)) unseen.delete(id);
    });
    refresh();
    detail.reload(quietly);
  }

  function upsert(incident, live) {
    var known = incidents.has(incident.id);
    if (incident.status === "closed") {
      incidents.delete(incident.id);
      forget(incident.id);
    } else {
      incidents.set(incident.id, incident);
      if (live && loaded && !known && incident.status === "open") announce(incident);
    }
    render(incident.team_id);
    detail.update(incident);
  }

  function open(id) {
    forget(id);
    app.showIncident();
    detail.open(incidents.get(id) || { id: id });
    app.shownIncident();
    refresh();
  }

  // -- the alert ------------------------------------------------------------------------------

  function announce(incident) {
    unseen.add(incident.id);
    var text = fill(T.incidents.alert, {
      team: app.teamName(incident.team_id),
      label: incident.label,
      count: incident.count,
    });
    clear(alerts).appendChild(
      el("div", { class: "inc-alert", "data-incident": incident.id }, [
        el("span", { class: "inc-alert__icon", "aria-hidden": "true", text: "!" }),
        el("p", { class: "inc-alert__text", text: text }),
        button(T.incidents.view, function () {
          open(incident.id);
        }, { class: "primary" }),
        button(T.incidents.dismiss, dismiss),
      ])
    );
    showCount();
    app.notifier.incident(incident); // on the desktop too, if the console is out of sight
  }

  function forget(id) {
    unseen.delete(id);
    var shown = alerts.firstChild;
    if (shown && Number(shown.getAttribute("data-incident")) === id) clear(alerts);
    showCount();
  }

  function dismiss() {
    clear(alerts);
  }

  function showCount() {
    app.updateTitle(); // the title counts these, seen from another tab too
  }

  // -- the list above each queue ----------------------------------------------------------------

  function refresh() {
    sections.forEach(function (s, teamId) {
      render(teamId);
    });
  }

  function render(teamId) {
    var s = sections.get(teamId);
    if (!s) return;
    var items = Array.from(incidents.values())
      .filter(function (incident) {
        return incident.team_id === teamId;
      })
      .sort(function (a, b) {
        return b.id - a.id; // newest first
      });
    var focused = document.activeElement;
    var focusKey = focused && s.list.contains(focused) ? focused.getAttribute("data-key") : null;
    var open = items.filter(function (incident) {
      return incident.status === "open";
    }).length;
    s.root.hidden = !items.length;
    s.root.classList.toggle("incidents--calm", !open); // red only while some spike has no answer
    s.counts.textContent = [
      open ? fill(T.incidents.count, { n: open }) : "",
      items.length > open ? fill(T.incidents.answeredCount, { n: items.length - open }) : "",
    ].filter(Boolean).join(" · ");
    clear(s.list);
    items.forEach(function (incident) {
      s.list.appendChild(card(incident));
    });
    if (focusKey) {
      var again = s.list.querySelector('[data-key="' + CSS.escape(focusKey) + '"]');
      if (again) again.focus(); // a live update must not take the keyboard focus away
    }
  }

  function card(incident) {
    var fresh = unseen.has(incident.id);
    var current = app.pane() === "incident" && detail.current() === incident.id;
    return el("li", {
      class: "inc inc--" + incident.status + (fresh ? " inc--new" : ""),
      "data-incident": incident.id,
      "aria-current": current ? "true" : null,
    }, [
      el("div", { class: "inc__top" }, [
        statusBadge(incident.status),
        fresh ? el("span", { class: "badge badge--new", text: T.incidents.fresh }) : null,
      ]),
      el("p", { class: "inc__label", text: incident.label }),
      el("div", { class: "inc__meta" }, facts(incident)),
      el("div", { class: "q-item__actions" }, [
        button(T.incidents.openIt, function () {
          open(incident.id);
        }, { "data-key": "incident-" + incident.id, "aria-label": T.incidents.openIt + ": " + incident.label }),
      ]),
    ]);
  }

  function facts(incident) {
    return [
      el("span", { class: "badge", text: incident.fund_code || T.noFund }),
      el("span", { class: "badge badge--count", text: fill(T.incidents.asked, { count: incident.count }) }),
      el("span", { class: "badge", text: fill(T.incidents.since, { time: clockTime(incident.started_at) }) }),
      el("span", { class: "badge", text: conversations(incident.conversations) }),
      incident.surge_ended_at ? el("span", { class: "badge", text: T.incidents.surgeOver }) : null,
    ];
  }

  // Logged out: the next user of this page starts afresh (other teams, nothing announced yet).
  function reset() {
    incidents.clear();
    unseen.clear();
    loaded = false;
    dismiss();
    showCount();
    refresh();
  }

  return {
    alerts: alerts,
    reset: reset,
    open: open,
    unseen: function () {
      return unseen.size;
    },
    shown: detail.current, // the incident in the pane, or null
    detailRoot: detail.root,
    section: section,
    load: load,
    upsert: upsert,
    refresh: refresh,
  };
}

function statusBadge(status) {
  return el("span", { class: "badge inc-status inc-status--" + status, text: T.incidents.status[status] || status });
}

function conversations(n) {
  return n === 1 ? T.incidents.oneConversation : fill(T.incidents.conversations, { n: n });
}
