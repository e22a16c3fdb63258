// live.js: the console's WebSocket (/api/v1/staff/live, authenticated by the session cookie).
// The server pushes queue changes for the user's teams, and messages, typing and state changes
// of the conversations the console watches. When the connection drops it reconnects with
// backoff; each connection starts with a "ready" event, on which the console reloads what it
// may have missed (and shows itself live: the server counts it online by then).

function StaffLive(handlers) {
  var socket = null;
  var attempts = 0;
  var timer = null;
  var stopped = true;
  var watched = new Set();

  function url() {
    var address = new URL(API_BASE + "live", location.href);
    address.protocol = address.protocol === "https:" ? "wss:" : "ws:";
    return address.href;
  }

  function connect() {
    if (stopped || socket) return;
    clearTimeout(timer);
    var ws;
    try {
      ws = new WebSocket(url());
    } catch (error) {
      retry();
      return;
    }
    socket = ws;
    ws.onopen = function () {
      attempts = 0;
      watched.forEach(function (cid) {
        send({ type: "watch", conversation_id: cid });
      });
    };
    ws.onmessage = function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (data && typeof data.type === "string") handlers.onEvent(data);
    };
    ws.onclose = function (event) {
      if (socket !== ws) return;
      socket = null;
      handlers.onStatus(false, event.code, attempts);
      retry();
    };
  }

  function retry() {
    if (stopped) return;
    clearTimeout(timer);
    var delay = Math.min(30000, 500 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts += 1;
    timer = setTimeout(connect, delay);
  }

  function send(data) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(data));
  }

  return {
    start: function () {
      stopped = false;
      connect();
    },
    stop: function () {
      stopped = true;
      clearTimeout(timer);
      watched.clear();
      if (socket) {
        var ws = socket;
        socket = null;
        ws.close();
      }
    },
    watch: function (cid) {
      watched.add(cid);
      send({ type: "watch", conversation_id: cid });
    },
    unwatch: function (cid) {
      watched.delete(cid);
      send({ type: "unwatch", conversation_id: cid });
    },
  };
}
