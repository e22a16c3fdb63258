// FundDesk staff console: plain JS, no framework, no build step. The served /console/console.js
// is the widget's markdown renderer, the shared live.js (LiveSocket), then dom.js, api.js,
// staff_live.js, queue.js, incidents.js, incident.js, conversation.js, composer.js, admin.js and
// console.js (in that order) inside one function.
//
// dom.js: the words and the helpers every part uses. Safety rule for the whole console: data
// (an investor's message, a name, a canned response) reaches the DOM only through textContent
// or attribute values set with setAttribute. Nothing parses HTML, so a payload stays text.

var T = {
  title: "FundDesk staff console",
  signIn: "Sign in",
  username: "Username",
  password: "Password",
  badLogin: "Wrong username or password.",
  loginFailed: "Could not sign in. Is the service running?",
  logout: "Log out",
  roles: { agent: "Agent", lead: "Team lead", admin: "Administrator" },
  nav: { queues: "Queues", analytics: "Analytics", settings: "Team settings", audit: "Audit log", users: "Users", teams: "Teams" },
  live: "Live",
  onlineColumn: "Online",
  inactive: "inactive",
  reconnecting: "Reconnecting…",
  queueEmpty: "No one is waiting.",
  online: "{n} online",
  waiting: "{n} waiting",
  waitingFor: "Waiting {t}",
  activeFor: "With {name} · {t}",
  position: "#{n} in line",
  ticket: "Ticket",
  open: "Open",
  claim: "Claim",
  release: "Release to queue",
  transfer: "Transfer…",
  resolve: "Hand back to the bot",
  takenByOther: "Someone else took it.",
  reasons: {
    requested: "Asked for a person",
    fallback: "Bot could not answer",
    negative_feedback: "Unhappy with an answer",
    faq_escalate: "Escalating topic",
    incident: "Incident",
    staff: "Opened by staff",
  },
  sla: { ok: "SLA on time", warning: "SLA due soon", breached: "SLA breached", met: "SLA met", missed: "SLA missed" },
  langs: { en: "EN", zh: "中文" },
  noFund: "no fund",
  pickConversation: "Pick a conversation from a queue.",
  states: { bot: "With the bot", waiting: "Waiting in the queue", staff: "With staff" },
  roleNames: { investor: "Investor", bot: "Bot", staff: "Staff", system: "System" },
  internalNote: "internal note (investor cannot see)",
  masked: "Personal data masked",
  reveal: "Reveal",
  revealed: "Revealed (audited)",
  typing: "investor is typing…",
  transcript: "Transcript",
  reply: "Reply to the investor",
  noteLabel: "Internal note (investor cannot see)",
  send: "Send",
  addNote: "Add note",
  replyHint: "Enter sends, Shift+Enter for a new line. Type / for canned responses.",
  claimFirst: "Claim the conversation to reply to the investor.",
  closedHint: "This conversation is with the bot. Notes only.",
  cannedLabel: "Canned responses",
  noCanned: "No canned response matches.",
  transferTo: "Transfer to team",
  transferAgent: "Agent",
  anyone: "Anyone in the team (queue)",
  doTransfer: "Transfer",
  transferred: "Transferred to {team}.",
  cancel: "Cancel",
  resolved: "Handed back to the bot.",
  failed: "That did not work: {message}",
  forbidden: "You are not allowed to do that.",
  match: "entry {id} · v{version} · score {score} · {decision}",
  noMatch: "no entry · {decision}",
  offered: "Offered: {titles}",
  save: "Save",
  saved: "Saved.",
  delete: "Delete",
  add: "Add",
  slaSeconds: "First-response target (seconds)",
  shortcut: "Shortcut",
  text: "Text",
  loadMore: "Load more",
  when: "When",
  who: "Who",
  action: "Action",
  team: "Team",
  conversation: "Conversation",
  detail: "Detail",
  displayName: "Display name",
  role: "Role",
  teams: "Teams",
  active: "Active",
  create: "Create",
  newUser: "New user",
  newTeam: "New team",
  teamId: "Team id (lowercase, digits, -)",
  teamName: "Name",
  resetPassword: "New password",
  setPassword: "Reset password",
  deactivate: "Deactivate",
  activate: "Activate",
  noEntries: "Nothing yet.",
  incidents: {
    title: "Incidents",
    count: "{n} open",
    answeredCount: "{n} answered",
    status: { open: "Open · no answer yet", answered: "Answered", closed: "Closed" },
    fresh: "New",
    heading: "Incident {id}",
    openIt: "Open incident",
    asked: "{count} questions so far",
    baseline: "expected {baseline} per 5 minutes",
    since: "since {time}",
    conversations: "{n} conversations",
    oneConversation: "1 conversation",
    alert: "New incident in {team}: “{label}” ({count} questions so far)",
    view: "View incident",
    dismiss: "Dismiss",
    team: "Team",
    fund: "Fund",
    volume: "Questions",
    askedIn: "Asked in",
    started: "Started",
    detected: "Detected",
    why: "Why it opened",
    evidence: "{observed} questions in {minutes} minutes against {expected} expected (p = {p})",
    fundTrigger: "all questions naming fund {fund} together",
    entryTrigger: "all questions matched to FAQ entry {entry} together",
    asks: "mostly questions matched to FAQ entry {entry}",
    funds: "naming funds {funds}",
    share: "Share of all questions",
    shareOf: "{observed} of {total} ({share}), expected {expected}",
    others: "the other questions {others} against {expected} expected",
    answeredAt: "Answered",
    closedAt: "Closed",
    surgeEnded: "Surge over",
    surgeOver: "surge over",
    surgeEndedOpen: "investors asking now get the FAQ's answer; an answer you publish reaches those who asked during it",
    chart: "Questions per 5 minutes (bars) against the expected baseline (line)",
    samples: "What investors are asking",
    published: "Published answer",
    entry: "FAQ entry {id}",
    question: "Heading (optional: the incident's question otherwise)",
    answer: "Answer to everyone asking (Markdown)",
    publish: "Publish to everyone asking",
    update: "Publish the update",
    edit: "Edit the answer",
    empty: "Write the answer first.",
    publishedToast: "Answer published: the bot gives it from now on, and those who asked get it.",
    retire: "Also retire the FAQ entry (the bot stops giving this answer)",
    close: "Close incident",
    closedToast: "Incident closed.",
    retiredToast: "Incident closed and its FAQ entry retired.",
    closedNote: "This incident is closed.",
    back: "Back to the conversation",
  },
};

function el(tag, attributes, children) {
  var node = document.createElement(tag);
  var attrs = attributes || {};
  Object.keys(attrs).forEach(function (name) {
    var value = attrs[name];
    if (value === null || value === undefined || value === false) return;
    if (name === "text") node.textContent = String(value);
    else if (name.slice(0, 2) === "on" && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  });
  append(node, children);
  return node;
}

function append(node, children) {
  if (children === undefined || children === null) return node;
  (Array.isArray(children) ? children : [children]).forEach(function (child) {
    if (child === null || child === undefined || child === false) return;
    node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  });
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, function (all, name) {
    return values[name] === undefined || values[name] === null ? all : String(values[name]);
  });
}

function toast(text, kind) {
  var box = document.getElementById("toasts");
  var item = el("p", { class: "toast toast--" + (kind || "info"), text: text });
  box.appendChild(item);
  setTimeout(function () {
    item.remove();
  }, 5000);
}

function millis(iso) {
  return iso ? Date.parse(iso) : NaN;
}

function duration(seconds) {
  var s = Math.max(0, Math.floor(seconds));
  var h = Math.floor(s / 3600);
  var m = Math.floor((s % 3600) / 60);
  var rest = String(s % 60).padStart(2, "0");
  return h ? h + ":" + String(m).padStart(2, "0") + ":" + rest : m + ":" + rest;
}

function clockTime(iso) {
  var when = new Date(millis(iso));
  if (isNaN(when.getTime())) return "";
  return when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function dateTime(iso) {
  var when = new Date(millis(iso));
  return isNaN(when.getTime()) ? "" : when.toLocaleString();
}

// A labelled form control: <label>text <input></label> keeps the label and control together.
function field(labelText, control, extraClass) {
  return el("label", { class: "field" + (extraClass ? " " + extraClass : "") }, [
    el("span", { class: "field__label", text: labelText }),
    control,
  ]);
}

function button(text, onclick, attributes) {
  var attrs = Object.assign({ type: "button", onclick: onclick }, attributes || {});
  attrs.text = text;
  return el("button", attrs);
}
