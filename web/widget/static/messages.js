// messages.js: the conversation as the widget shows it, in its log. Each message is rendered once
// (by id) and kept in the server's order; an investor's message shows at once and the server's
// copy takes its place. Investor and system text is only ever set as textContent; bot and staff
// answers go through renderMarkdown (markdown.js: Marked with raw HTML escaped, then DOMPurify).
//
// MessageLog(t, log, handoff, onChoice): t the widget's words, log the element, handoff the status
// line (it learns the staff member's name), onChoice(payload, title) when a button is clicked.

var LEAVE_QUEUE = "/back_to_bot"; // the queue's "Back to the assistant" (web/staff/notices.py)

function MessageLog(t, log, handoff, onChoice) {
  var seen = new Set(); // message ids rendered

  function intro() {
    var node = el("div", { class: "fd-msg fd-msg--intro" });
    node.appendChild(el("span", { class: "fd-sr-only" }, t.bot + ": "));
    node.appendChild(el("div", { class: "fd-bubble" }, t.greeting));
    log.appendChild(node);
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

  function failed(pending, message, retry) {
    pending.classList.add("fd-msg--failed");
    var note = el("p", { class: "fd-error", role: "alert" }, message + " ");
    var button = el("button", { type: "button" }, t.retry);
    button.addEventListener("click", function () {
      pending.remove();
      retry();
    });
    note.appendChild(button);
    pending.appendChild(note);
  }

  function add(messages) {
    messages.forEach(addMessage);
    refreshChoices();
  }

  function addMessage(message) {
    if (seen.has(message.id)) return;
    seen.add(message.id);
    if (message.role === "investor" && adoptPending(message)) return;
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
    if (payloads.indexOf(LEAVE_QUEUE) >= 0) group.classList.add("fd-leave");
    buttons.forEach(function (b) {
      var button = el("button", { type: "button", class: "fd-choice" }, b.title);
      button.addEventListener("click", function () {
        if (button.disabled) return;
        button.setAttribute("aria-pressed", "true");
        group.classList.add("fd-used");
        setGroupEnabled(group, false);
        onChoice(b.payload, b.title);
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
    // Only the buttons after the investor's last message, and not clicked yet, can be clicked; but the queue's
    // "Back to the assistant" for as long as the conversation waits, whatever the investor typed meanwhile
    // (they were told they may keep typing), and never once a person has it.
    var messages = log.querySelectorAll(".fd-msg");
    var afterLastInvestor = true;
    var waiting = handoff.state() === "waiting";
    for (var i = messages.length - 1; i >= 0; i--) {
      if (messages[i].classList.contains("fd-msg--investor")) afterLastInvestor = false;
      var group = messages[i].querySelector(".fd-choices");
      if (!group) continue;
      var open = group.classList.contains("fd-leave") ? waiting : afterLastInvestor;
      setGroupEnabled(group, open && !group.classList.contains("fd-used"));
    }
  }

  function clear() {
    seen = new Set();
    Array.prototype.slice.call(log.querySelectorAll(".fd-msg[data-id]")).forEach(function (node) {
      node.remove();
    });
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  return {
    intro: intro,
    addPending: addPending,
    settle: settle,
    failed: failed,
    add: add,
    clear: clear,
    scrollToEnd: scrollToEnd,
    refresh: refreshChoices, // after the conversation's state changed
  };
}
