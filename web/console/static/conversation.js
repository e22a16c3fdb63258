// conversation.js: one conversation, whole: the investor's, the bot's (with the entry it matched,
// its version, score and decision), system and staff messages, internal notes; the hand-off's
// actions (claim, release, transfer, hand back to the bot) and the investor's typing indicator.
// New messages arrive over the console's WebSocket while the conversation is watched.

var TYPING_TIMEOUT = 8000; // hide a stuck "is typing" if the "stopped" event never comes

function ConversationView(app) {
  var current = null; // the conversation's id
  var detail = null; // GET /conversations/{id}: state, handoff, messages
  var rendered = new Map(); // message id -> node
  var typingTimer = null;
  var composer = Composer(app);

  var title = el("h2", { id: "conv-title", class: "conv__title", tabindex: "-1", text: T.pickConversation });
  var meta = el("p", { class: "conv__meta" });
  var actions = el("div", { class: "conv__actions" });
  var transfer = TransferForm(app, function () {
    return current;
  }, transferred);
  var log = el("div", {
    class: "conv__log", role: "log", "aria-live": "polite", "aria-relevant": "additions", "aria-label": T.transcript,
    tabindex: "0",
  });
  var typing = el("p", { class: "conv__typing", role: "status", hidden: true }, [
    el("span", { class: "dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
    el("span", { text: T.typing }),
  ]);
  var body = el("div", { class: "conv__body", hidden: true }, [meta, actions, transfer.root, log, typing, composer.root]);
  var root = el("section", { class: "conv", "aria-labelledby": "conv-title" }, [title, body]);

  function open(cid) {
    if (cid === current) {
      title.focus();
      return;
    }
    if (current) app.live.unwatch(current);
    current = cid;
    detail = null;
    rendered.clear();
    clear(log);
    setTyping(false);
    transfer.hide();
    app.live.watch(cid);
    body.hidden = false;
    title.textContent = T.conversation + " " + shortId(cid);
    log.setAttribute("aria-busy", "true"); // screen readers: not the whole history as "new"
    load().then(function () {
      log.removeAttribute("aria-busy");
      title.focus();
    });
  }

  function close() {
    if (current) app.live.unwatch(current);
    current = detail = null;
    rendered.clear();
    clear(log);
    body.hidden = true;
    title.textContent = T.pickConversation;
    composer.setContext(null);
  }

  function load() {
    // The transcript and the hand-off from the server's word; messages already shown stay put.
    var asked = current;
    if (!asked) return Promise.resolve();
    return app.api
      .conversation(asked)
      .then(function (data) {
        if (asked !== current) return;
        detail = data;
        data.messages.forEach(function (message) {
          if (!rendered.has(message.id)) addMessage(message);
        });
        showHandoff();
      })
      .catch(function (error) {
        if (asked !== current) return;
        toast(problem(error), "error");
        if (error.status === 403 || error.status === 404) {
          close();
          app.correctRoute(); // a link to a conversation this member of staff may not see, or none
        }
      });
  }

  function addMessage(message) {
    var node = messageNode(message);
    var old = rendered.get(message.id);
    rendered.set(message.id, node);
    if (old) {
      log.replaceChild(node, old);
      return;
    }
    var later = null;
    rendered.forEach(function (other, id) {
      if (id > message.id && other.parentNode === log && (!later || id < Number(later.getAttribute("data-id")))) {
        later = other;
      }
    });
    log.insertBefore(node, later);
    if (message.role === "investor") setTyping(false);
    log.scrollTop = log.scrollHeight;
  }

  function messageNode(message) {
    var role = message.role;
    var classes = "msg msg--" + role + (message.internal ? " msg--internal" : "");
    var who = message.author || T.roleNames[role] || role;
    var label = el("span", { class: "msg__who", text: who });
    var head = el("div", { class: "msg__head" }, [label]);
    if (message.internal) head.appendChild(el("span", { class: "msg__internal", text: T.internalNote }));
    head.appendChild(el("time", { class: "msg__time", datetime: message.created_at, text: clockTime(message.created_at) }));
    var text = el("div", { class: "msg__text" });
    if ((role === "bot" || role === "staff") && !message.masked) {
      text.classList.add("msg__text--markdown");
      text.innerHTML = renderMarkdown(message.text); // eslint-disable-line no-undef -- markdown.js: sanitized
    } else {
      text.textContent = message.text; // investor and system text is never parsed as HTML
    }
    var node = el("article", { class: classes, "data-id": message.id }, [head, text]);
    if (message.masked) node.appendChild(maskedNote(message, text));
    if (message.buttons && message.buttons.length) {
      var titles = message.buttons.map(function (b) {
        return b.title;
      });
      node.appendChild(el("p", { class: "msg__buttons", text: fill(T.offered, { titles: titles.join(" | ") }) }));
    }
    if (role === "bot" && message.match) node.appendChild(matchBadge(message.match));
    return node;
  }

  function matchBadge(match) {
    var score = typeof match.score === "number" ? match.score.toFixed(2) : "–";
    var decision = T.decisions[match.decision] || match.decision || "–";
    var text = match.entry_id
      ? fill(T.match, {
          id: match.entry_id,
          version: String(match.entry_version || "–").slice(0, 8),
          score: score,
          decision: decision,
        })
      : fill(T.noMatch, { decision: decision });
    return el("p", { class: "match-badge match-badge--" + (match.decision || "none"), text: text });
  }

  function maskedNote(message, textNode) {
    var note = el("p", { class: "msg__masked" }, [el("span", { text: T.masked })]);
    if (!app.session.reveal_allowed) return note;
    var reveal = button(T.reveal, function () {
      reveal.disabled = true;
      app.api
        .reveal(current, message.id)
        .then(function (data) {
          textNode.textContent = data.text; // in place, still as text
          clear(note).appendChild(el("span", { text: T.revealed }));
        })
        .catch(function (error) {
          reveal.disabled = false;
          toast(problem(error), "error");
        });
    }, { class: "link", "aria-label": T.reveal + " (" + T.masked + ")" });
    note.appendChild(reveal);
    return note;
  }

  function setTyping(active) {
    clearTimeout(typingTimer);
    typing.hidden = !active;
    if (active) typingTimer = setTimeout(setTyping, TYPING_TIMEOUT, false);
  }

  // -- the hand-off: what it is and what this user may do with it -----------------------

  function showHandoff() {
    if (!detail) return;
    var handoff = detail.handoff;
    var parts = [T.states[detail.state] || detail.state, T.langs[detail.lang] || detail.lang];
    if (handoff) {
      parts.push(app.teamName(handoff.team_id), T.reasons[handoff.reason] || handoff.reason);
      parts.push(handoff.fund_code || T.noFund);
      if (handoff.assignee) parts.push(handoff.assignee.display_name);
      if (handoff.ticket) parts.push(T.ticket);
    }
    meta.textContent = parts.join(" · ");
    var focused = actions.contains(document.activeElement) ? document.activeElement.textContent : null;
    clear(actions);
    actionButtons(handoff).forEach(function (b) {
      actions.appendChild(b);
      if (b.textContent === focused) b.focus(); // a queue update must not steal the keyboard focus
    });
    composer.setContext({ cid: current, state: detail.state, handoff: handoff });
    app.queue.refresh(); // the open conversation's card is marked current
  }

  function actionButtons(handoff) {
    if (!handoff) return [];
    var cid = current;
    var mine = handoff.assignee && handoff.assignee.id === app.user().id;
    var manager = app.user().role !== "agent";
    var list = [];
    if (handoff.status === "waiting") {
      list.push(button(T.claim, function () {
        app.claim(cid, handoff.handoff_id);
      }, { class: "primary" }));
    }
    if (handoff.status === "active" && (mine || manager)) {
      list.push(button(T.release, function () {
        run(app.api.release(cid));
      }));
    }
    if (handoff.status === "waiting" || mine || manager) {
      list.push(button(T.transfer, function () {
        transfer.show(handoff.team_id);
      }, { "aria-expanded": "false", "data-role": "transfer" }));
    }
    if (handoff.status === "active" && (mine || manager)) {
      list.push(button(T.resolve, function () {
        run(app.api.resolve(cid), T.resolved);
      }, { class: "resolve" }));
    }
    return list;
  }

  function run(promise, done) {
    return promise
      .then(function (result) {
        if (done) toast(done);
        if (result && result.handoff_id) onItem(result);
      })
      .catch(function (error) {
        toast(problem(error), "error");
      })
      .then(load);
  }

  function transferred(item) {
    var user = app.user();
    toast(fill(T.transferred, { team: app.teamName(item.team_id) }));
    // Out of this user's teams, the conversation is no longer theirs to read.
    if (user.role === "admin" || user.teams.indexOf(item.team_id) >= 0) load();
    else close();
  }

  function onItem(item) {
    if (!detail || item.conversation_id !== current) return;
    detail.handoff = item;
    detail.state = item.status === "active" ? "staff" : "waiting";
    showHandoff();
  }

  function onEvent(data) {
    if (data.conversation_id !== current) return;
    if (data.type === "message" && data.message) {
      addMessage(data.message); // even before the transcript has loaded: it may have been read just before
    } else if (data.type === "typing" && data.role === "investor") {
      setTyping(Boolean(data.active));
    } else if (data.type === "state" && detail) {
      detail.state = data.state;
      if (data.state === "bot") detail.handoff = null;
      showHandoff();
    }
  }

  return {
    root: root,
    open: open,
    close: close,
    reload: load,
    current: function () {
      return current;
    },
    onItem: onItem,
    onEvent: onEvent,
    addMessage: addMessage,
    forgetCanned: composer.forgetCanned,
  };
}

// "Transfer…": to another team's queue, or straight to one of its agents.
function TransferForm(app, conversationId, done) {
  var team = el("select", { class: "transfer__team" });
  var agent = el("select", { class: "transfer__agent" });
  var form = el("form", { class: "transfer", hidden: true }, [
    field(T.transferTo, team),
    field(T.transferAgent, agent),
    el("div", { class: "transfer__buttons" }, [
      el("button", { type: "submit", class: "primary", text: T.doTransfer }),
      button(T.cancel, hide),
    ]),
  ]);

  team.addEventListener("change", fillAgents);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var cid = conversationId();
    app.api
      .transfer(cid, team.value, agent.value ? Number(agent.value) : null)
      .then(function (item) {
        hide();
        done(item);
      })
      .catch(function (error) {
        toast(problem(error), "error");
      });
  });

  function fillAgents() {
    clear(agent).appendChild(el("option", { value: "", text: T.anyone }));
    var chosen = app.teams().filter(function (t) {
      return t.id === team.value;
    })[0];
    ((chosen && chosen.members) || []).forEach(function (member) {
      var role = T.roles[member.role] || member.role;
      agent.appendChild(el("option", { value: member.id, text: member.display_name + " (" + role + ")" }));
    });
  }

  function show(currentTeam) {
    app.reloadTeams().then(function () {
      clear(team); // who is in which team, as of now
      app.teams().forEach(function (t) {
        team.appendChild(el("option", { value: t.id, text: t.name, selected: t.id === currentTeam }));
      });
      fillAgents();
      form.hidden = false;
      setExpanded(true);
      team.focus();
    });
  }

  function hide() {
    form.hidden = true;
    setExpanded(false);
  }

  function setExpanded(open) {
    var toggle = document.querySelector('[data-role="transfer"]');
    if (toggle) toggle.setAttribute("aria-expanded", String(open));
  }

  return { root: form, show: show, hide: hide };
}
