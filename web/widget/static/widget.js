// FundDesk chat widget: plain JS, no framework. Embed it with one tag:
//
//   <script src="https://HOST/widget.js" data-lang="zh"></script>
//
// Optional attributes: data-lang ("en" | "zh"; default: the browser's language), data-api (the
// service's base URL; default: where this script came from), data-title (the panel's title).
//
// The served /widget.js wraps the vendored bundle (FundDeskVendor: Marked + DOMPurify),
// markdown.js (renderMarkdown), strings.js (STRINGS), live.js (LiveConnection), handoff.js
// (HandoffStatus, TypingSender) and this file in one function, so nothing here becomes a global
// of the host page.
//
// Safety: investor text is only ever set as textContent; bot and staff answers go through
// renderMarkdown (markdown.js: Marked with raw HTML escaped, then DOMPurify) before they touch
// the DOM.

var script = document.currentScript;
if (script && !window.__funddeskWidgetLoaded) {
  window.__funddeskWidgetLoaded = true; // embedded twice: one widget
  start(script);
}

function start(script) {
  "use strict";

  var MAX_TEXT = 2000;
  var COUNTER_FROM = 1800;

  var lang = pickLang(script.getAttribute("data-lang"));
  var t = STRINGS[lang]; // from strings.js
  var base = new URL(script.getAttribute("data-api") || ".", script.src || location.href);
  var apiBase = new URL("api/v1/", base).href;
  var storeKey = "funddesk:" + base.origin + base.pathname;

  // -- state ----------------------------------------------------------------------------

  var conversation = loadConversation(); // {id, token} or null
  var seen = new Set(); // message ids rendered
  var queue = Promise.resolve(); // messages are sent one after the other, in order
  var inFlight = 0; // messages shown but not answered yet
  var remoteTyping = null; // "bot" | "staff" | null, from the WebSocket
  var stateAsked = 0; // requests that answer with the conversation's state, numbered as sent
  var stateShown = 0; // the number of the request whose state is shown
  var live = LiveConnection({
    url: socketUrl,
    onOpen: function () {
      showStatus("");
      loadHistory(); // catch up on whatever happened while it was not connected
    },
    onEvent: onLiveEvent,
    onDrop: function (show) {
      remoteTyping = null;
      renderTyping();
      if (show) showStatus(navigator.onLine === false ? t.offline : t.reconnecting);
    },
    onLongOutage: loadHistory,
  });

  // -- DOM ------------------------------------------------------------------------------

  var host = document.createElement("div");
  host.id = "funddesk-widget";
  host.setAttribute("lang", lang === "zh" ? "zh-CN" : "en");
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("link", { rel: "stylesheet", href: new URL("widget.css", base).href }));

  var launcher = el("button", {
    type: "button", class: "fd-launcher", "aria-expanded": "false", "aria-controls": "fd-panel",
  });
  launcher.appendChild(chatIcon());
  launcher.appendChild(el("span", {}, t.launcher));

  var panel = el("section", {
    id: "fd-panel", class: "fd-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "fd-title",
  });
  panel.hidden = true;
  var header = el("header", { class: "fd-header" });
  var heading = el("div");
  heading.appendChild(el("h2", { id: "fd-title" }, script.getAttribute("data-title") || t.title));
  heading.appendChild(el("p", { class: "fd-subtitle" }, t.subtitle));
  var closeButton = el("button", { type: "button", class: "fd-close", "aria-label": t.close }, "×");
  header.appendChild(heading);
  header.appendChild(closeButton);

  var status = el("div", { class: "fd-status", role: "status", "aria-live": "polite" });
  var stateLine = el("div", { class: "fd-state", role: "status", "aria-live": "polite" });
  var log = el("div", {
    class: "fd-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": t.log,
    tabindex: "0",
  });
  var typing = el("div", { class: "fd-typing", role: "status" });
  typing.hidden = true;
  var dots = el("span", { class: "fd-dots", "aria-hidden": "true" });
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  dots.appendChild(el("span"));
  var typingText = el("span", {}, t.typing);
  typing.appendChild(dots);
  typing.appendChild(typingText);

  var counter = el("div", { class: "fd-counter", "aria-live": "polite" });
  counter.hidden = true;
  var form = el("form", { class: "fd-form", novalidate: "" });
  var label = el("label", { for: "fd-input", class: "fd-sr-only" }, t.inputLabel);
  var input = el("textarea", {
    id: "fd-input", class: "fd-input", rows: "1", maxlength: String(MAX_TEXT), placeholder: t.placeholder,
    "aria-describedby": "fd-hint", autocomplete: "off",
  });
  var hint = el("p", { id: "fd-hint", class: "fd-sr-only" }, t.hint);
  var sendButton = el("button", { type: "submit", class: "fd-send" }, t.send);
  sendButton.disabled = true;
  form.appendChild(label);
  form.appendChild(input);
  form.appendChild(sendButton);
  form.appendChild(hint);

  panel.appendChild(header);
  panel.appendChild(status);
  panel.appendChild(stateLine);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(counter);
  panel.appendChild(form);
  root.appendChild(launcher);
  root.appendChild(panel);
  log.appendChild(introMessage());
  var handoff = HandoffStatus(t, stateLine);
  var investorTyping = TypingSender(function (active) {
    live.send({ type: "typing", active: active });
  });

  whenBodyReady(function () {
    document.body.appendChild(host);
    if (conversation) loadHistory();
    if (sessionGet("open") === "1") open(false);
  });

  // -- opening and closing --------------------------------------------------------------

  launcher.addEventListener("click", function () {
    open(true);
  });
  closeButton.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
    }
  });

  function open(focusInput) {
    panel.hidden = false;
    launcher.hidden = true;
    launcher.setAttribute("aria-expanded", "true");
    sessionSet("open", "1");
    scrollToEnd();
    if (focusInput) input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    sessionSet("open", "0");
    launcher.focus();
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
  form.addEventListener("submit", function (event) {
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
    sendButton.disabled = !input.value.trim();
    var left = MAX_TEXT - input.value.length;
    counter.hidden = input.value.length < COUNTER_FROM;
    counter.textContent = t.left.replace("{n}", String(Math.max(0, left)));
  }

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 140) + "px";
  }

  function send(body, shown) {
    var pending = addPending(shown);
    inFlight += 1;
    renderTyping();
    queue = queue
      .then(function () {
        return deliver(body, shown, pending, false);
      })
      .then(function () {
        inFlight -= 1;
        renderTyping();
      });
  }

  function deliver(body, shown, pending, retrying) {
    var asked = 0;
    return ensureConversation()
      .then(function () {
        asked = ++stateAsked;
        return request("POST", "conversations/" + conversation.id + "/messages", body);
      })
      .then(function (response) {
        if (response.status === 200) {
          return response.json().then(function (data) {
            settle(pending);
            data.messages.forEach(addMessage);
            refreshChoices();
            answered(asked, data);
          });
        }
        if ((response.status === 401 || response.status === 404) && !retrying) {
          forgetConversation();
          showStatus(t.expired);
          return deliver(body, shown, pending, true);
        }
        failed(pending, response.status === 429 ? t.tooMany : t.failed, body, shown);
      })
      .catch(function () {
        failed(pending, navigator.onLine === false ? t.offline : t.sendFailed, body, shown);
      })
      .then(function () {
        live.connect();
      });
  }

  function failed(pending, message, body, shown) {
    pending.classList.add("fd-msg--failed");
    var note = el("p", { class: "fd-error", role: "alert" }, message + " ");
    var retry = el("button", { type: "button" }, t.retry);
    retry.addEventListener("click", function () {
      pending.remove();
      send(body, shown);
      input.focus();
    });
    note.appendChild(retry);
    pending.appendChild(note);
  }

  function ensureConversation() {
    if (conversation) return Promise.resolve(conversation);
    return request("POST", "conversations", { lang: lang }).then(function (response) {
      if (response.status !== 201) throw new Error("could not start a conversation: " + response.status);
      return response.json().then(function (data) {
        conversation = { id: data.conversation_id, token: data.token };
        saveConversation(conversation);
        // live updates start once the first message is answered (see deliver)
        return conversation;
      });
    });
  }

  function request(method, path, body) {
    var headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (conversation) headers.Authorization = "Bearer " + conversation.token;
    return fetch(apiBase + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      mode: "cors",
    });
  }

  // -- the history ----------------------------------------------------------------------

  function loadHistory() {
    if (!conversation) return Promise.resolve();
    var asked = conversation;
    var order = ++stateAsked;
    return request("GET", "conversations/" + asked.id + "/messages")
      .then(function (response) {
        if (asked !== conversation) return;
        if (response.status === 401 || response.status === 404) {
          forgetConversation();
          return;
        }
        if (response.status !== 200) return;
        return response.json().then(function (data) {
          data.messages.forEach(addMessage);
          refreshChoices();
          answered(order, data);
          live.connect();
        });
      })
      .catch(function () {
        live.retry(); // offline: try again with the WebSocket's backoff
      });
  }

  function forgetConversation() {
    conversation = null;
    live.close();
    showState("bot");
    saveConversation(null);
    seen = new Set();
    Array.prototype.slice.call(log.querySelectorAll(".fd-msg[data-id]")).forEach(function (node) {
      node.remove();
    });
  }

  // -- live updates (live.js: a WebSocket, reconnecting with backoff) --------------------

  function socketUrl() {
    if (!conversation) return null;
    var url = new URL("conversations/" + conversation.id + "/ws", apiBase);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", conversation.token);
    return url.href;
  }

  function onLiveEvent(data) {
    if (data.type === "message" && data.message) {
      addMessage(data.message);
      refreshChoices();
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
    if (conversation) showStatus(t.offline);
  });

  // -- rendering messages ---------------------------------------------------------------

  function introMessage() {
    var node = el("div", { class: "fd-msg fd-msg--intro" });
    node.appendChild(el("span", { class: "fd-sr-only" }, t.bot + ": "));
    node.appendChild(el("div", { class: "fd-bubble" }, t.greeting));
    return node;
  }

  function addPending(text) {
    var node = messageNode("investor", text);
    node.classList.add("fd-msg--pending");
    node.setAttribute("data-text", text);
    log.appendChild(node);
    scrollToEnd();
    return node;
  }

  function settle(pending) {
    pending.classList.remove("fd-msg--pending");
  }

  function addMessage(message) {
    if (seen.has(message.id)) return;
    seen.add(message.id);
    if (message.role === "investor") {
      var mine = adoptPending(message);
      if (mine) return;
    }
    if (message.role === "staff" && message.author) handoff.setStaff(message.author);
    var node = messageNode(message.role, message.text, message.buttons || [], message.author);
    node.setAttribute("data-id", String(message.id));
    insertInOrder(node, message.id);
    scrollToEnd();
  }

  function adoptPending(message) {
    // The widget shows an investor's message at once; the server's copy (with its id) takes its place.
    var pending = log.querySelectorAll(".fd-msg--investor:not([data-id])");
    for (var i = 0; i < pending.length; i++) {
      if (pending[i].getAttribute("data-text") === message.text) {
        var node = pending[i];
        node.setAttribute("data-id", String(message.id));
        node.removeAttribute("data-text");
        node.remove();
        insertInOrder(node, message.id); // replies that arrived first move below it
        return node;
      }
    }
    return null;
  }

  function insertInOrder(node, id) {
    var later = null;
    var rendered = log.querySelectorAll(".fd-msg[data-id]");
    for (var i = 0; i < rendered.length; i++) {
      if (Number(rendered[i].getAttribute("data-id")) > id) {
        later = rendered[i];
        break;
      }
    }
    if (!later) later = log.querySelector(".fd-msg--pending:not([data-id])"); // before messages still sending
    log.insertBefore(node, later);
  }

  function messageNode(role, text, buttons, author) {
    var node = el("div", { class: "fd-msg fd-msg--" + role });
    var who = (role === "staff" && author) || { investor: t.you, bot: t.bot, staff: t.staff, system: t.system }[role];
    who = who || t.system;
    node.appendChild(el("span", { class: "fd-sr-only" }, who + ": "));
    if (role === "staff") node.appendChild(el("span", { class: "fd-who", "aria-hidden": "true" }, who));
    var bubble = el("div", { class: "fd-bubble" });
    if (role === "bot" || role === "staff") {
      bubble.innerHTML = renderMarkdown(text);
    } else {
      bubble.textContent = text; // investor and system text is never parsed as HTML
    }
    node.appendChild(bubble);
    if (buttons && buttons.length) node.appendChild(choiceGroup(buttons));
    return node;
  }

  function choiceGroup(buttons) {
    var group = el("div", { class: "fd-choices", role: "group", "aria-label": t.choices });
    var payloads = buttons.map(function (b) {
      return b.payload;
    });
    if (payloads.indexOf("/affirm") >= 0 && payloads.indexOf("/deny") >= 0) group.classList.add("fd-feedback");
    buttons.forEach(function (b) {
      var button = el("button", { type: "button", class: "fd-choice" }, b.title);
      button.addEventListener("click", function () {
        if (button.disabled) return;
        button.setAttribute("aria-pressed", "true");
        group.classList.add("fd-used");
        setGroupEnabled(group, false);
        send({ payload: b.payload }, b.title);
        input.focus();
      });
      group.appendChild(button);
    });
    return group;
  }

  function setGroupEnabled(group, enabled) {
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (button) {
      button.disabled = !enabled;
    });
  }

  function refreshChoices() {
    // Only the buttons after the investor's last message, and not clicked yet, can be clicked.
    var messages = log.querySelectorAll(".fd-msg");
    var afterLastInvestor = true;
    for (var i = messages.length - 1; i >= 0; i--) {
      if (messages[i].classList.contains("fd-msg--investor")) afterLastInvestor = false;
      var group = messages[i].querySelector(".fd-choices");
      if (group) setGroupEnabled(group, afterLastInvestor && !group.classList.contains("fd-used"));
    }
  }

  function renderTyping() {
    // While people have the conversation the bot is not asked, so it is never "typing" then.
    var who = remoteTyping || (inFlight > 0 && handoff.state() === "bot" ? "bot" : null);
    typing.hidden = !who;
    var name = handoff.staffName();
    if (who !== "staff") typingText.textContent = t.typing;
    else typingText.textContent = name ? t.staffTypingNamed.replace("{name}", name) : t.staffTyping;
    if (who) scrollToEnd();
  }

  function showStatus(text) {
    status.textContent = text;
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
    if (state === "bot") investorTyping.stop();
    renderTyping();
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  // -- helpers --------------------------------------------------------------------------

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function chatIcon() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
    svg.appendChild(path);
    return svg;
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

  function loadConversation() {
    try {
      var saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      return saved && saved.id && saved.token ? saved : null;
    } catch (error) {
      return null;
    }
  }

  function saveConversation(value) {
    try {
      if (value) localStorage.setItem(storeKey, JSON.stringify(value));
      else localStorage.removeItem(storeKey);
    } catch (error) {
      // storage disabled: the conversation lasts as long as the page
    }
  }

  function sessionGet(name) {
    try {
      return sessionStorage.getItem(storeKey + ":" + name);
    } catch (error) {
      return null;
    }
  }

  function sessionSet(name, value) {
    try {
      sessionStorage.setItem(storeKey + ":" + name, value);
    } catch (error) {
      // ignore
    }
  }
}
