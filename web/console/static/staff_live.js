// staff_live.js: the console's live connection (LiveSocket, web/static/live.js) to
// /api/v1/staff/live, authenticated by the session cookie. The server pushes queue changes for
// the user's teams, and messages, typing and state changes of the conversations the console
// watches; the watches are sent again on every new connection. Each connection starts with a
// "ready" event, on which the console reloads what it may have missed (and shows itself live:
// the server counts it online by then).

function StaffLive(handlers) {
  var stopped = true;
  var watched = new Set();
  var socket = LiveSocket({
    url: function () {
      if (stopped) return null;
      var address = new URL(API_BASE + "live", location.href);
      address.protocol = address.protocol === "https:" ? "wss:" : "ws:";
      return address.href;
    },
    firstDelay: 500,
    onOpen: function () {
      watched.forEach(function (cid) {
        socket.send({ type: "watch", conversation_id: cid });
      });
    },
    onEvent: handlers.onEvent,
    onDrop: function (drop) {
      handlers.onStatus(false, drop.code, drop.attempts);
    },
  });

  return {
    start: function () {
      stopped = false;
      socket.connect();
    },
    stop: function () {
      stopped = true;
      watched.clear();
      socket.close();
    },
    watch: function (cid) {
      watched.add(cid);
      socket.send({ type: "watch", conversation_id: cid });
    },
    unwatch: function (cid) {
      watched.delete(cid);
      socket.send({ type: "unwatch", conversation_id: cid });
    },
  };
}
