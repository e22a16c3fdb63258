// FundDesk chat widget: plain JS, no framework. Embed it with one tag:
//
//   <script src="https://HOST/widget.js" data-lang="zh"></script>
//
// Optional attributes: data-lang ("en" | "zh"; default: the browser's language), data-api (the
// service's base URL; default: where this script came from), data-title (the panel's title).
//
// The served /widget.js wraps the vendored bundle (FundDeskVendor: Marked + DOMPurify),
// markdown.js (renderMarkdown), strings.js (STRINGS), web/static/live.js (LiveSocket),
// web/static/http.js (sendJson), handoff.js (HandoffStatus, TypingSender), conversation.js
// (ConversationApi: the API and the stored conversation), panel.js (WidgetPanel: the elements),
// messages.js (MessageLog: rendering the conversation) and this file, which ties them together:
// sending in order, catching up on the history, live events, opening and closing. All in one
// function, so nothing here becomes a global of the host page.

var script = document.currentScript;
if (script && !window.__funddeskWidgetLoaded) {
  window.__funddeskWidgetLoaded = true; // embedded twice: one widget
  start(script);
}

function start(script) {
  "use strict";

  var MAX_TEXT = 2000;
  var COUNTER_FROM = 1800;
  // Answers after which the same message is sent again by itself (same Idempotency-Key): a replica
  // killed while it held the message (nginx's 502/503/504), the database failing over (503), or the
  // message still being answered elsewhere (409). Three times, then the investor's "Try again".
  var AGAIN_ON = [409, 502, 503, 504];
  var AGAIN_TIMES = 3;

  var lang = pickLang(script.getAttribute("data-lang"));
  var t = STRINGS[lang]; // from strings.js
  var base = new URL(script.getAttribute("data-api") || ".", script.src || location.href);
  var api = ConversationApi(base, lang);

  // -- state ----------------------------------------------------------------------------

  var queue = Promise.resolve(); // messages are sent one after the other, in order
  var inFlight = 0; // messages shown but not answered yet
  var remoteTyping = null; // "bot" | "staff" | null, from the WebSocket
  var stateAsked = 0; // requests that answer with the conversation's state, numbered as sent
  var stateShown = 0; // the number of the request whose state is shown
  var catchUp = function () {
    showStatus("");
    loadHistory(); // catch up on whatever happened while it was not connected
  };
  var live = LiveSocket({
    url: api.socketUrl,
    firstDelay: 1000,
    onOpen: catchUp,
    onAlive: catchUp,
    onEvent: onLiveEvent,
    onDrop: function (drop) {
      remoteTyping = null;
      renderTyping();
      if (drop.opened || drop.attempts > 0) showStatus(navigator.onLine === false ? t.offline : t.reconnecting);
    },
    onRetry: function (attempts) {
      if (attempts > 2 && attempts % 3 === 0) loadHistory(); // a long outage: is the conversation still there?
    },
  });

  // -- DOM ------------------------------------------------------------------------------

  var ui = WidgetPanel(t, {
    lang: lang,
    title: script.getAttribute("data-title"),
    css: new URL("widget.css", base).href,
    maxText: MAX_TEXT,
  });
  var input = ui.input;
  var handoff = HandoffStatus(t, ui.stateLine);
  var messages = MessageLog(t, ui.log, handoff, function (payload, title) {
    send({ payload: payload }, title);
    input.focus();
  });
  messages.intro();
  var investorTyping = TypingSender(function (active) {
    live.send({ type: "typing", active: active });
  });

  whenBodyReady(function () {
    document.body.appendChild(ui.host);
    if (api.current()) loadHistory();
    if (api.flag("open") === "1") open(false);
  });

  // -- opening and closing --------------------------------------------------------------

  ui.launcher.addEventListener("click", function () {
    open(true);
  });
  ui.closeButton.addEventListener("click", close);
  ui.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });

  function open(focusInput) {
    ui.panel.hidden = false;
    ui.launcher.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "true");
    api.flag("open", "1");
    messages.scrollToEnd();
    if (focusInput) input.focus();
  }

  function close() {
    ui.panel.hidden = true;
    ui.launcher.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "false");
    api.flag("open", "0");
    ui.launcher.focus();
  }

  // -- typing and sending ---------------------------------------------------------------

  input.addEventListener("input", function () {
    autoGrow();
    updateSendState();
    if (handoff.state() !== "bot" && input.value.trim()) investorTyping.typed(); // staff see it
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  ui.form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });

  function submit() {
    var text = input.value;
    if (!text.trim()) return;
    if (text.length > MAX_TEXT) {
      showStatus(t.tooLong);
      return;
    }
    input.value = "";
    autoGrow();
    updateSendState();
    investorTyping.stop();
    send({ text: text }, text);
  }

  function updateSendState() {
    ui.sendButton.disabled = !input.value.trim();
    var left = MAX_TEXT - input.value.length;
    ui.counter.hidden = input.value.length < COUNTER_FROM;
    ui.counter.textContent = t.left.replace("{n}", String(Math.max(0, left)));
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
  }

  // key: the message's Idempotency-Key, kept when the investor presses "Try again", so a message the
  // service stored before its reply was lost is not stored twice.
  function send(body, shown, key) {
    var pending = messages.addPending(shown);
    var sending = { body: body, shown: shown, key: key || api.messageKey(), attempts: 0 };
    inFlight += 1;
    renderTyping();
    queue = queue
      .then(function () {
        return deliver(sending, pending, false);
      })
      .then(function () {
        inFlight -= 1;
        renderTyping();
      });
  }

  function deliver(sending, pending, retrying) {
    var asked = 0;
    return api
      .ensure() // live updates start once the first message is answered (below)
      .then(function (conversation) {
        asked = ++stateAsked;
        var path = "conversations/" + conversation.id + "/messages";
        return api.request("POST", path, sending.body, { "Idempotency-Key": sending.key });
      })
      .then(function (response) {
        if (AGAIN_ON.indexOf(response.status) >= 0 && sending.attempts < AGAIN_TIMES) {
          // The service, or the replica that had the message, is briefly away; the key makes asking again safe.
          return later(response.headers.get("Retry-After"), sending.attempts++).then(function () {
            return deliver(sending, pending, retrying);
          });
        }
        if (response.status === 200) {
          return response.json().then(function (data) {
            messages.settle(pending);
            messages.add(data.messages);
            answered(asked, data);
          });
        }
        if ((response.status === 401 || response.status === 404) && !retrying) {
          forgetConversation();
          showStatus(t.expired);
          return deliver(sending, pending, true);
        }
        failed(pending, response.status === 429 ? t.tooMany : t.failed, sending);
      })
      .catch(function () {
        if (navigator.onLine !== false && sending.attempts < AGAIN_TIMES) {
          return later(null, sending.attempts++).then(function () {
            return deliver(sending, pending, retrying);
          });
        }
        failed(pending, navigator.onLine === false ? t.offline : t.sendFailed, sending);
      })
      .then(function () {
        live.connect();
      });
  }

  function failed(pending, message, sending) {
    messages.failed(pending, message, function () {
      send(sending.body, sending.shown, sending.key);
      input.focus();
    });
  }

  // Seconds from Retry-After (at most 20: a turn lasts at most Rasa's timeout plus storing its replies),
  // else 1, 2, 4 s by attempt.
  function later(retryAfter, attempt) {
    var seconds = parseInt(retryAfter, 10);
    seconds = seconds >= 1 ? Math.min(seconds, 20) : Math.pow(2, attempt);
    return new Promise(function (resolve) {
      setTimeout(resolve, seconds * 1000);
    });
  }

  // -- the history ----------------------------------------------------------------------

  function loadHistory() {
    var asked = api.current();
    if (!asked) return Promise.resolve();
    var order = ++stateAsked;
    return api
      .request("GET", "conversations/" + asked.id + "/messages")
      .then(function (response) {
        if (asked !== api.current()) return;
        if (response.status === 401 || response.status === 404) {
          forgetConversation();
          return;
        }
        if (response.status !== 200) return;
        return response.json().then(function (data) {
          messages.add(data.messages);
          answered(order, data);
          live.connect();
        });
      })
      .catch(function () {
        live.retry(); // offline: try again with the WebSocket's backoff
      });
  }

  function forgetConversation() {
    api.forget();
    live.close();
    showState("bot");
    messages.clear();
  }

  // -- live updates (LiveSocket: a WebSocket, reconnecting with backoff) ------------------

  function onLiveEvent(data) {
    if (data.type === "message" && data.message) {
      messages.add([data.message]);
    } else if (data.type === "state" || data.type === "ready") {
      if (data.author) handoff.setStaff(data.author); // who claimed it
      showState(data.state);
    } else if (data.type === "queue") {
      handoff.setQueue(data);
    } else if (data.type === "typing") {
      remoteTyping = data.active ? data.role : null;
      if (data.role === "staff" && data.author) handoff.setStaff(data.author);
      renderTyping();
    }
  }

  window.addEventListener("offline", function () {
    if (api.current()) showStatus(t.offline);
  });

  // -- the state and typing lines -------------------------------------------------------

  function renderTyping() {
    // While people have the conversation the bot is not asked, so it is never "typing" then.
    var who = remoteTyping || (inFlight > 0 && handoff.state() === "bot" ? "bot" : null);
    ui.typing.hidden = !who;
    var name = handoff.staffName();
    if (who !== "staff") ui.typingText.textContent = t.typing;
    else ui.typingText.textContent = name ? t.staffTypingNamed.replace("{name}", name) : t.staffTyping;
    if (who) messages.scrollToEnd();
  }

  function showStatus(text) {
    ui.status.textContent = text;
  }

  // An answer carries the state (and, while waiting, the queue place) as of when it was read.
  // Answers can arrive out of order (the history read on reconnect races a message being sent):
  // one asked before an answer already shown is older, and is not allowed to undo it.
  function answered(order, data) {
    if (order < stateShown) return;
    stateShown = order;
    showState(data.state);
    if (data.queue) handoff.setQueue(data.queue);
  }

  function showState(state) {
    handoff.setState(state); // the line under the header (handoff.js)
    messages.refresh(); // the queue's button opens and closes with the state
    if (state === "bot") investorTyping.stop();
    renderTyping();
  }
}

function pickLang(asked) {
  if (asked === "en" || asked === "zh") return asked;
  var preferred = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return /^zh\b/i.test(preferred) ? "zh" : "en";
}

function whenBodyReady(callback) {
  if (document.body) callback();
  else document.addEventListener("DOMContentLoaded", callback);
}
