// conversation.js: the widget's side of the investor API (/api/v1/conversations/...): the
// conversation it holds ({id, token}, kept in localStorage per service so a reload continues it),
// its requests, and where its live connection goes. No DOM here: widget.js renders.
//
// ConversationApi(base, lang) returns:
//   current()          the conversation, or null before the first message
//   ensure()           a promise of the conversation, started on the service if there is none
//   forget()           drop it (it expired, or the service does not know it)
//   request(m, p, b, h) a JSON request to api/v1/<p> with the conversation's token (and headers h);
//                      fetch's promise
//   messageKey()       a new Idempotency-Key: a message sent again with it is stored once
//   socketUrl()        the WebSocket address of its live updates, or null
//   flag(name[, v])    a per-tab setting (sessionStorage), e.g. whether the panel is open

function ConversationApi(base, lang) {
  var apiBase = new URL("api/v1/", base).href;
  var storeKey = "funddesk:" + base.origin + base.pathname;
  var conversation = load();

  function request(method, path, body, extra) {
    var headers = conversation ? { Authorization: "Bearer " + conversation.token } : {};
    Object.keys(extra || {}).forEach(function (name) {
      headers[name] = extra[name];
    });
    return sendJson(apiBase + path, method, body, { headers: headers, credentials: "omit", mode: "cors" });
  }

  function ensure() {
    if (conversation) return Promise.resolve(conversation);
    return request("POST", "conversations", { lang: lang }).then(function (response) {
      if (response.status !== 201) throw new Error("could not start a conversation: " + response.status);
      return response.json().then(function (data) {
        conversation = { id: data.conversation_id, token: data.token };
        save(conversation);
        return conversation;
      });
    });
  }

  // 128 random bits in hex. crypto.getRandomValues, unlike randomUUID, works on plain-HTTP host pages too.
  function messageKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map
      .call(bytes, function (b) {
        return (b < 16 ? "0" : "") + b.toString(16);
      })
      .join("");
  }

  function forget() {
    conversation = null;
    save(null);
  }

  function socketUrl() {
    if (!conversation) return null;
    var url = new URL("conversations/" + conversation.id + "/ws", apiBase);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", conversation.token);
    return url.href;
  }

  function load() {
    try {
      var saved = JSON.parse(localStorage.getItem(storeKey) || "null");
      return saved && saved.id && saved.token ? saved : null;
    } catch (error) {
      return null;
    }
  }

  function save(value) {
    try {
      if (value) localStorage.setItem(storeKey, JSON.stringify(value));
      else localStorage.removeItem(storeKey);
    } catch (error) {
      // storage disabled: the conversation lasts as long as the page
    }
  }

  function flag(name, value) {
    try {
      if (value === undefined) return sessionStorage.getItem(storeKey + ":" + name);
      sessionStorage.setItem(storeKey + ":" + name, value);
    } catch (error) {
      return null; // storage disabled: the panel starts closed on each page
    }
    return value;
  }

  return {
    current: function () {
      return conversation;
    },
    ensure: ensure,
    forget: forget,
    request: request,
    messageKey: messageKey,
    socketUrl: socketUrl,
    flag: flag,
  };
}
