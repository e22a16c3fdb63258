// The widget while people have the conversation. Part of the served /widget.js (after live.js,
// before widget.js).
//
// HandoffStatus keeps the line under the header: "Connecting you to a person… You are number 2
// in the queue (about 4 min)" while waiting (updated by the server's queue events), a note
// that nobody is available when the request became a ticket, "You are chatting with Alice"
// once a person answers, and nothing when the bot has the conversation again.
//
// TypingSender tells staff the investor is typing: at most one "typing" every 2 s, and
// "stopped" after 3 s without a key or when the message is sent.

function HandoffStatus(t, line) {
  var state = "bot";
  var queue = null; // the last {position, estimate_seconds, ticket}
  var staffName = null; // from the last staff message's author

  function render() {
    if (state === "waiting") {
      line.textContent = queue && queue.ticket ? t.ticket : t.waiting + (queue ? " " + place(queue) : "");
    } else if (state === "staff") {
      line.textContent = staffName ? t.withStaffNamed.replace("{name}", staffName) : t.withStaff;
    } else {
      line.textContent = "";
    }
  }

  function place(q) {
    var text = t.position.replace("{n}", String(q.position));
    if (typeof q.estimate_seconds === "number") {
      text += t.estimate.replace("{m}", String(Math.max(1, Math.round(q.estimate_seconds / 60))));
    }
    return text;
  }

  return {
    setState: function (next) {
      if (!next) return;
      if (next !== "waiting") queue = null;
      if (next === "bot") staffName = null;
      state = next;
      render();
    },
    setQueue: function (event) {
      if (typeof event.position !== "number" || event.position < 1) return;
      queue = { position: event.position, estimate_seconds: event.estimate_seconds, ticket: Boolean(event.ticket) };
      render();
    },
    setStaff: function (name) {
      if (name) staffName = name;
      render();
    },
    state: function () {
      return state;
    },
    staffName: function () {
      return staffName;
    },
  };
}

var TYPING_EVERY = 2000;
var TYPING_IDLE = 3000;

function TypingSender(send) {
  var lastSent = 0; // 0: staff were last told "stopped"
  var idle = null;

  function stop() {
    clearTimeout(idle);
    if (!lastSent) return;
    lastSent = 0;
    send(false);
  }

  return {
    typed: function () {
      var now = Date.now();
      if (!lastSent || now - lastSent >= TYPING_EVERY) {
        lastSent = now;
        send(true);
      }
      clearTimeout(idle);
      idle = setTimeout(stop, TYPING_IDLE);
    },
    stop: stop,
  };
}
