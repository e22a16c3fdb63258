// The widget's live connection: one WebSocket per conversation, reconnecting with backoff.
// Part of the served /widget.js (after strings.js, before handoff.js and widget.js).
//
// The widget tells it where to connect (options.url(): null while there is no conversation)
// and what to do with each event; after a reconnect, options.onOpen() reloads the history so
// nothing said while it was away is missed. It also carries what the investor sends: typing.

function LiveConnection(options) {
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
    ws.onclose = function () {
      if (socket !== ws) return;
      socket = null;
      if (!options.url()) return;
      options.onDrop(opened || attempts > 0);
      retry();
    };
  }

  function retry() {
    if (!options.url()) return;
    clearTimeout(timer);
    var delay = Math.min(30000, 1000 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts += 1;
    if (attempts > 2 && attempts % 3 === 0) options.onLongOutage(); // is the conversation still there?
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
      options.onOpen(); // the connection survived
    } else {
      attempts = Math.max(attempts, 1);
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
