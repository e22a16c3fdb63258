// composer.js: the reply box. "Internal note" makes a message staff-only. Typing "/" first opens
// the team's canned responses (filter by typing on, arrows to choose, Enter or a click inserts).
// While replying to the investor, "typing" is sent at most every 2 s, and "stopped" after 3 s
// without a key or when the message is sent, so the investor never sees a stuck indicator. What is typed
// is kept per conversation (drafts.js) until it is sent.

var TYPING_EVERY = 2000;
var TYPING_IDLE = 3000;

function Composer(app) {
  var context = null; // {cid, state, handoff}
  var canned = new Map(); // team id -> Promise of its canned responses
  var shown = []; // canned responses in the open list
  var active = -1; // the highlighted one
  var typingSince = 0; // when "typing" was last sent (0: the investor was told "stopped")
  var typingCid = null;
  var idleTimer = null;
  var drafts = Drafts(app, "reply");

  var input = el("textarea", {
    id: "reply", class: "composer__input", rows: "3", "aria-describedby": "reply-hint reply-status",
    autocomplete: "off", maxlength: "2000",
  });
  var label = el("label", { for: "reply", class: "composer__label", text: T.reply });
  var note = el("input", { type: "checkbox", id: "reply-note" });
  var noteToggle = el("label", { class: "composer__note", for: "reply-note" }, [note, " " + T.noteLabel]);
  var send = el("button", { type: "submit", class: "primary composer__send", text: T.send });
  var list = el("ul", { id: "canned", class: "canned", role: "listbox", "aria-label": T.cannedLabel, hidden: true });
  var hint = el("p", { id: "reply-hint", class: "composer__hint", text: T.replyHint });
  var status = el("p", { id: "reply-status", class: "composer__status", role: "status" });
  var form = el("form", { class: "composer", novalidate: true }, [
    label, list, input, el("div", { class: "composer__row" }, [noteToggle, send]), status, hint,
  ]);

  input.addEventListener("input", function () {
    updateCanned();
    typed();
    keepDraft();
  });
  input.addEventListener("keydown", onKey);
  input.addEventListener("blur", function () {
    setTimeout(function () {
      if (document.activeElement !== input) hideCanned(); // unless the focus came back meanwhile
    }, 150);
  });
  note.addEventListener("change", function () {
    form.classList.toggle("composer--note", note.checked);
    send.textContent = note.checked ? T.addNote : T.send;
    if (note.checked) stopTyping();
    showStatus();
    keepDraft();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });

  function onKey(event) {
    var open = !list.hidden && shown.length > 0;
    if (open && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      highlight((active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length);
    } else if (open && event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      choose(shown[Math.max(0, active)]);
    } else if (!list.hidden && event.key === "Escape") {
      event.preventDefault();
      hideCanned();
    } else if (!list.hidden && event.key === "Enter" && !event.shiftKey) {
      event.preventDefault(); // "/hel" matching nothing is a mistyped shortcut, not a reply: Escape, then Enter sends it
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  }

  // -- sending ---------------------------------------------------------------------------

  function canReply() {
    var handoff = context && context.handoff;
    if (!handoff || handoff.status !== "active") return false;
    return (handoff.assignee && handoff.assignee.id === app.user().id) || app.user().role !== "agent";
  }

  function submit() {
    var text = input.value.trim();
    if (!text || !context) return;
    var internal = note.checked;
    if (!internal && !canReply()) {
      showStatus(context.handoff ? T.claimFirst : T.closedHint);
      return;
    }
    stopTyping();
    send.disabled = true;
    input.value = ""; // at once: the next message may be typed while this one is on its way
    hideCanned();
    var cid = context.cid;
    drafts.put(cid, null);
    app.api
      .say(cid, text, internal)
      .then(function (message) {
        app.conversation.addMessage(message); // the WebSocket may bring it too: same id, shown once
      })
      .catch(function (error) {
        if (context && context.cid === cid && !input.value) {
          input.value = text; // not lost
          keepDraft();
        } else if (!drafts.get(cid)) {
          drafts.put(cid, { text: text, note: internal }); // another conversation is open: kept for this one
        }
        toast(problem(error), "error");
      })
      .then(function () {
        send.disabled = false;
        input.focus();
      });
  }

  function showStatus(text) {
    if (text) {
      status.textContent = text;
    } else if (!context) {
      status.textContent = "";
    } else {
      status.textContent = note.checked || canReply() ? "" : context.handoff ? T.claimFirst : T.closedHint;
    }
  }

  function keepDraft() {
    if (context) drafts.put(context.cid, input.value ? { text: input.value, note: note.checked } : null);
  }

  function restoreDraft(cid) {
    var draft = cid ? drafts.get(cid) : null;
    input.value = (draft && draft.text) || "";
    note.checked = Boolean(draft && draft.note);
    form.classList.toggle("composer--note", note.checked);
    send.textContent = note.checked ? T.addNote : T.send;
  }

  // -- the investor sees "staff is typing" ------------------------------------------------

  function typed() {
    if (!context || note.checked || !canReply() || !input.value) return;
    var now = Date.now();
    if (!typingSince || now - typingSince >= TYPING_EVERY || typingCid !== context.cid) {
      typingSince = now;
      typingCid = context.cid;
      app.api.typing(context.cid, true).catch(function () {});
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, TYPING_IDLE);
  }

  function stopTyping() {
    clearTimeout(idleTimer);
    if (!typingSince) return;
    typingSince = 0;
    app.api.typing(typingCid, false).catch(function () {});
  }

  // -- canned responses -------------------------------------------------------------------

  function cannedFor(teamId) {
    if (!canned.has(teamId)) {
      canned.set(
        teamId,
        app.api.canned(teamId).then(
          function (data) {
            return data.canned;
          },
          function () {
            canned.delete(teamId);
            return [];
          }
        )
      );
    }
    return canned.get(teamId);
  }

  function updateCanned() {
    var value = input.value;
    var teamId = context && context.handoff && context.handoff.team_id;
    if (!teamId || value.charAt(0) !== "/" || value.indexOf("\n") >= 0) {
      hideCanned();
      return;
    }
    var query = value.slice(1).toLowerCase();
    // Each new "/" reads the team's list again: a lead may have added one since this console loaded it.
    if (list.hidden && value === "/") canned.delete(teamId);
    cannedFor(teamId).then(function (all) {
      if (input.value !== value) return; // typed on meanwhile
      shown = all.filter(function (c) {
        return c.shortcut.toLowerCase().indexOf(query) >= 0 || c.text.toLowerCase().indexOf(query) >= 0;
      });
      renderCanned();
    });
  }

  function renderCanned() {
    clear(list);
    active = shown.length ? 0 : -1;
    if (!shown.length) list.appendChild(el("li", { class: "canned__none", text: T.noCanned }));
    shown.forEach(function (c, index) {
      var option = el("li", { id: "canned-" + c.id, role: "option", class: "canned__option" }, [
        el("span", { class: "canned__shortcut", text: "/" + c.shortcut }),
        el("span", { class: "canned__text", text: c.text }),
      ]);
      option.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep the focus in the reply box
        choose(shown[index]);
      });
      list.appendChild(option);
    });
    list.hidden = false;
    highlight(active);
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(list.querySelectorAll("[role=option]"), function (option, i) {
      option.setAttribute("aria-selected", String(i === index));
    });
    if (index >= 0 && shown[index]) input.setAttribute("aria-activedescendant", "canned-" + shown[index].id);
    else input.removeAttribute("aria-activedescendant");
  }

  function choose(c) {
    if (!c) return;
    input.value = c.text;
    hideCanned();
    input.focus();
    input.setSelectionRange(input.value.length, input.value.length);
    typed();
  }

  function hideCanned() {
    list.hidden = true;
    shown = [];
    active = -1;
    input.removeAttribute("aria-activedescendant");
  }

  return {
    root: form,
    setContext: function (next) {
      if (!next || !context || next.cid !== context.cid) {
        stopTyping();
        hideCanned();
        restoreDraft(next && next.cid); // what was typed there stays with that conversation
      }
      context = next;
      var disabled = !next;
      input.disabled = send.disabled = note.disabled = disabled;
      showStatus();
    },
    forgetCanned: function (teamId) {
      canned.delete(teamId);
    },
  };
}
