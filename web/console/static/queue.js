// queue.js: one column per team the user may see, each listing its waiting and active
// conversations. The server pushes every change (queue / queue_removed events); waiting times
// and SLA colours tick here, every second, without asking the server.

var SLA_ORDER = ["ok", "warning", "breached"];
var WARNING_SHARE = 0.5; // as escalation/staff/sla.py: amber once half the target has gone by

function slaOf(item, now) {
  if (item.first_response_at || item.sla === "met" || item.sla === "missed") return item.sla;
  var waited = (now - millis(item.created_at)) / 1000;
  var local = waited >= item.sla_seconds ? "breached" : waited >= WARNING_SHARE * item.sla_seconds ? "warning" : "ok";
  // Never greener than the server said (the two clocks may differ a little).
  return SLA_ORDER.indexOf(local) >= SLA_ORDER.indexOf(item.sla) ? local : item.sla;
}

function QueueView(app) {
  var root = el("section", { class: "queues", "aria-label": T.nav.queues });
  var columns = new Map(); // team id -> {team, items: Map(handoff id -> item), list, counts}
  var notices = new Map(); // handoff id -> text shown on its card for a while

  function load(queues) {
    columns.clear();
    clear(root);
    queues.forEach(function (queue) {
      var column = addColumn(queue.team);
      queue.items.forEach(function (item) {
        column.items.set(item.handoff_id, item);
      });
      render(column);
    });
    app.notifier.queueLoaded(byHandoff); // what was waiting already is not news
  }

  function addColumn(team) {
    var headingId = "queue-" + team.id;
    var counts = el("span", { class: "queue__counts" });
    var list = el("ul", { class: "queue__items", "aria-labelledby": headingId });
    var section = el("section", { class: "queue", "aria-labelledby": headingId, "data-team": team.id }, [
      el("h2", { id: headingId, class: "queue__title" }, [el("span", { text: team.name }), counts]),
      app.incidents.section(team), // a spike in this team's topics, above the people waiting
      list,
    ]);
    root.appendChild(section);
    var column = { team: team, items: new Map(), list: list, counts: counts };
    columns.set(team.id, column);
    return column;
  }

  function upsert(item) {
    var before = byHandoff(item.handoff_id);
    columns.forEach(function (column) {
      // A transfer moves an item to another team: it leaves its old column.
      if (column.team.id !== item.team_id && column.items.delete(item.handoff_id)) render(column);
    });
    var column = columns.get(item.team_id);
    if (!column) return;
    column.items.set(item.handoff_id, item);
    render(column);
    app.notifier.queueItem(item, before);
  }

  function remove(teamId, handoffId) {
    columns.forEach(function (column) {
      if ((!teamId || column.team.id === teamId) && column.items.delete(handoffId)) render(column);
    });
    // Transferred between two of these queues, it may be in the other already: still waiting there.
    if (!byHandoff(handoffId)) app.notifier.settled(handoffId);
  }

  function byHandoff(handoffId) {
    var found = null;
    columns.forEach(function (column) {
      found = found || column.items.get(handoffId) || null;
    });
    return found;
  }

  function presence(teamId, online) {
    var column = columns.get(teamId);
    if (!column) return;
    column.team.online = online;
    render(column);
  }

  function find(conversationId) {
    var found = null;
    columns.forEach(function (column) {
      column.items.forEach(function (item) {
        if (item.conversation_id === conversationId) found = item;
      });
    });
    return found;
  }

  function notice(handoffId, text) {
    notices.set(handoffId, text);
    columns.forEach(render);
    setTimeout(function () {
      if (notices.get(handoffId) === text) notices.delete(handoffId);
      columns.forEach(render);
    }, 6000);
  }

  function sorted(column) {
    return Array.from(column.items.values()).sort(function (a, b) {
      if (a.status !== b.status) return a.status === "waiting" ? -1 : 1;
      return millis(a.created_at) - millis(b.created_at);
    });
  }

  function render(column) {
    // Rebuilding the list must not take the keyboard focus away from the card's buttons.
    var focused = document.activeElement;
    var focusKey = focused && root.contains(focused) ? focused.getAttribute("data-key") : null;
    clear(column.list);
    var items = sorted(column);
    var waiting = items.filter(function (item) {
      return item.status === "waiting";
    }).length;
    column.counts.textContent =
      fill(T.waiting, { n: waiting }) + " · " + fill(T.online, { n: column.team.online || 0 });
    if (!items.length) column.list.appendChild(el("li", { class: "queue__empty", text: T.queueEmpty }));
    items.forEach(function (item) {
      column.list.appendChild(card(item));
    });
    if (focusKey) {
      var again = root.querySelector('[data-key="' + CSS.escape(focusKey) + '"]');
      if (again) again.focus();
    }
  }

  function card(item) {
    var id = item.handoff_id;
    var current = app.openConversationId() === item.conversation_id;
    var node = el("li", {
      class: "q-item q-item--" + item.status,
      "data-handoff": id,
      "data-conversation": item.conversation_id,
      "aria-current": current ? "true" : null,
    });
    node.appendChild(
      el("div", { class: "q-item__top" }, [
        el("span", { class: "q-time", "data-time": "" }),
        el("span", { class: "q-sla", "data-sla": "" }),
      ])
    );
    node.appendChild(el("div", { class: "q-item__meta" }, badges(item)));
    if (item.status === "waiting") {
      node.appendChild(el("p", { class: "q-item__status", text: fill(T.position, { n: item.position }) }));
    }
    if (item.last_message) {
      node.appendChild(el("p", { class: "q-item__last", text: item.last_message.text }));
    }
    var actions = el("div", { class: "q-item__actions" }, [
      button(T.open, function () {
        app.openConversation(item.conversation_id);
      }, { "data-key": "open-" + id, "aria-label": T.open + " " + shortId(item.conversation_id) }),
    ]);
    if (item.status === "waiting") {
      actions.appendChild(
        button(T.claim, function () {
          app.claim(item.conversation_id, id);
        }, { class: "primary", "data-key": "claim-" + id, "aria-label": T.claim + " " + shortId(item.conversation_id) })
      );
    }
    node.appendChild(actions);
    if (notices.has(id)) node.appendChild(el("p", { class: "q-item__notice", role: "alert", text: notices.get(id) }));
    tickCard(node, item, Date.now());
    return node;
  }

  function badges(item) {
    var list = [
      el("span", { class: "badge badge--lang", text: T.langs[item.lang] || item.lang }),
      el("span", { class: "badge", text: item.fund_code || T.noFund }),
      el("span", { class: "badge badge--reason", text: T.reasons[item.reason] || item.reason }),
    ];
    if (item.ticket) list.push(el("span", { class: "badge badge--ticket", text: T.ticket }));
    return list;
  }

  function tickCard(node, item, now) {
    var sla = slaOf(item, now);
    ["ok", "warning", "breached", "met", "missed"].forEach(function (state) {
      node.classList.toggle("sla-" + state, state === sla);
    });
    node.querySelector("[data-sla]").textContent = T.sla[sla] || sla;
    var time = node.querySelector("[data-time]");
    if (item.status === "waiting") {
      time.textContent = fill(T.waitingFor, { t: duration((now - millis(item.created_at)) / 1000) });
    } else {
      var since = millis(item.claimed_at || item.created_at);
      var who = item.assignee ? item.assignee.display_name : "?";
      time.textContent = fill(T.activeFor, { name: who, t: duration((now - since) / 1000) });
    }
  }

  function tick() {
    var now = Date.now();
    columns.forEach(function (column) {
      Array.prototype.forEach.call(column.list.querySelectorAll(".q-item"), function (node) {
        var item = column.items.get(Number(node.getAttribute("data-handoff")));
        if (item) tickCard(node, item, now);
      });
    });
  }

  setInterval(tick, 1000);

  return {
    root: root,
    load: load,
    upsert: upsert,
    remove: remove,
    presence: presence,
    find: find,
    notice: notice,
    refresh: function () {
      columns.forEach(render);
    },
  };
}

function shortId(conversationId) {
  return String(conversationId).slice(0, 8);
}
