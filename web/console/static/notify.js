// notify.js: desktop notifications, for staff who keep the console in a background tab. While the page is hidden, a
// conversation that starts waiting in one of the console's queues, or a new incident (with its alert: incidents.js),
// shows on the desktop; a click brings the console back with it open. What a load of the queues brings (after
// signing in, or a reconnect's reload) is not news. The switch is in the header, the choice kept in this browser
// (like the language); it counts only while the browser lets this site notify. While hidden, the tab title also
// counts the conversations that started waiting unseen, beside the incidents' count (app.updateTitle).

var NOTIFY_KEY = "funddesk.console.notify";

function Notifier(app) {
  var supported = typeof window.Notification === "function";
  var loaded = false; // the queues' first load came: from now on a conversation that starts waiting is news
  var unseen = new Set(); // handoff ids that started waiting while the page was hidden
  var toggle = supported ? button("", switchOver, { class: "notify-switch" }) : null;

  function chosen() {
    try {
      return window.localStorage.getItem(NOTIFY_KEY) === "on";
    } catch (blocked) {
      return false; // storage off: nowhere to keep the choice, so off
    }
  }

  function choose(on) {
    try {
      window.localStorage.setItem(NOTIFY_KEY, on ? "on" : "off");
    } catch (blocked) {
      // storage off: the switch shows what the browser allows, as before
    }
    render();
  }

  // The choice counts only while the browser allows it: permission can be taken back in its settings at any time.
  function enabled() {
    return supported && chosen() && window.Notification.permission === "granted";
  }

  function render() {
    if (!toggle) return;
    var on = enabled();
    toggle.textContent = on ? T.notify.on : T.notify.off;
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function switchOver() {
    if (enabled()) {
      choose(false);
      return;
    }
    // In the click itself: browsers ask the person only in answer to what they did.
    window.Notification.requestPermission().then(function (answer) {
      choose(answer === "granted");
      if (answer !== "granted") toast(T.notify.blocked, "error");
    }, function () {
      toast(T.notify.blocked, "error");
    });
  }

  // One notification per conversation or incident (its tag): a later one replaces it rather than stacking.
  function show(title, body, tag, open) {
    if (!document.hidden || !enabled()) return;
    var note;
    try {
      note = new window.Notification(title, { body: body, tag: tag, lang: document.documentElement.lang });
    } catch (refused) {
      return; // e.g. a browser that notifies only from a service worker: the page's own signs remain
    }
    note.onclick = function () {
      window.focus();
      note.close();
      open();
    };
  }

  // -- what is news --------------------------------------------------------------------------------

  // The queues as loaded (``find``: a handoff id's item there, or null); one claimed meanwhile is not waiting now.
  function queueLoaded(find) {
    loaded = true;
    unseen.forEach(function (id) {
      var item = find(id);
      if (!item || item.status !== "waiting") settled(id);
    });
  }

  // A queue item as it is now, and as the queues had it before (or null): news when it starts waiting.
  function queueItem(item, before) {
    var id = item.handoff_id;
    if (item.status !== "waiting") {
      settled(id);
      return;
    }
    if (!loaded || (before && before.status === "waiting")) return;
    if (document.hidden) {
      unseen.add(id);
      app.updateTitle();
    }
    // What the investor last said (masked by the server); not the system's "Connecting you…", the same every time.
    var last = item.last_message;
    var said = last && last.role === "investor" ? last.text : T.reasons[item.reason] || item.reason;
    show(fill(T.notify.waiting, { team: app.teamName(item.team_id) }), said, "handoff-" + id, function () {
      app.openConversation(item.conversation_id);
    });
  }

  // No longer waiting (claimed, or gone from the queues): not one to count any more.
  function settled(handoffId) {
    if (unseen.delete(handoffId)) app.updateTitle();
  }

  function incident(incident) {
    var body = fill(T.notify.incidentBody, { team: app.teamName(incident.team_id), count: incident.count });
    show(fill(T.notify.incident, { label: incident.label }), body, "incident-" + incident.id, function () {
      app.incidents.open(incident.id);
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    if (unseen.size) {
      unseen.clear(); // in sight now: the queues show them
      app.updateTitle();
    }
    render(); // permission may have changed in the browser's settings meanwhile
  });

  // Signed out: the next user of this page starts afresh; the switch stays, it is this browser's.
  function reset() {
    loaded = false;
    unseen.clear();
  }

  render();

  return {
    toggle: toggle, // the header's switch, or null where the browser has no notifications
    queueLoaded: queueLoaded,
    queueItem: queueItem,
    settled: settled,
    incident: incident,
    unseen: function () {
      return unseen.size;
    },
    reset: reset,
  };
}
