// The live connection of the widget and of the staff console: one WebSocket, reconnecting with
// backoff. Both bundles include this file inside their own function (web/assets.py: LIVE_JS).
//
// options.url()         where to connect, or null to stay closed (no conversation, logged out)
// options.firstDelay    the first retry's wait in ms; it doubles per failed attempt, up to 30 s,
//                       with jitter so that clients dropped together do not return together
// options.onOpen()      connected: reload whatever may have been missed meanwhile
// options.onEvent(data) each JSON message that has a string "type"
// options.onDrop(drop)  the socket closed: {code, opened: it had connected, attempts: failed before}
// options.onRetry(n)    optional: the n-th retry is scheduled
// options.onAlive()     optional: the browser came back online and the socket had survived
//
// Returns connect(), retry() (now, or after the backoff already running), close(), connected()
// and send(data).

function LiveSocket(options) {
  var socket = null;
  var attempts = 0;
  var timer = null;

  function connect() {
    var address = options.url();
    if (!address || socket) return;
    clearTimeout(timer);
    var ws;
    try {
      ws = new WebSocket(address);
    } catch (error) {
      retry();
      return;
    }
    socket = ws;
    var opened = false;
    ws.onopen = function () {
      opened = true;
      attempts = 0;
      options.onOpen();
    };
    ws.onmessage = function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (data && typeof data.type === "string") options.onEvent(data);
    };
    ws.onclose = function (event) {
      if (socket !== ws) return; // closed on purpose
      socket = null;
      if (!options.url()) return;
      options.onDrop({ code: event.code, opened: opened, attempts: attempts });
      retry();
    };
  }

  function retry() {
    if (!options.url()) return;
    clearTimeout(timer);
    var delay = Math.min(30000, options.firstDelay * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts += 1;
    if (options.onRetry) options.onRetry(attempts);
    timer = setTimeout(connect, delay);
  }

  function close() {
    clearTimeout(timer);
    if (socket) {
      var ws = socket;
      socket = null;
      ws.close();
    }
  }

  window.addEventListener("online", function () {
    if (!options.url()) return;
    if (socket) {
      if (options.onAlive) options.onAlive();
    } else {
      attempts = Math.max(attempts, 1); // a drop seen now is not the first connection failing
      connect();
    }
  });

  return {
    connect: connect,
    retry: retry,
    close: close,
    connected: function () {
      return socket !== null;
    },
    send: function (data) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(data));
    },
  };
}
