// incident.js: one incident in the right-hand pane. Staff read the evidence (counts against the
// baseline, the chart, what investors ask), publish one answer (it becomes an FAQ entry and goes
// to everyone who asked), and close it, optionally retiring that entry. Live updates redraw the
// facts but never the form, so an answer being written is not lost; it is kept per incident (drafts.js) until
// it is published.

var STAGES = { open: 0, answered: 1, closed: 2 };

function IncidentDetail(app, changed) {
  var shown = null; // the Incident on screen
  var editing = false; // an answered incident's form is open for an update
  var drafts = Drafts(app, "incident");

  var title = el("h2", { id: "inc-title", class: "conv__title", tabindex: "-1" });
  var label = el("p", { class: "inc-detail__label" });
  var status = el("p", { class: "inc-detail__status", role: "status" });
  var facts = el("dl", { class: "inc-facts" });
  var chart = el("img", { class: "inc-chart__img", width: "640", height: "220" });
  var figure = el("figure", { class: "inc-chart" }, [chart, el("figcaption", { text: T.incidents.chart })]);
  var samples = el("ul", { class: "inc-samples" });

  var answerHeading = el("h3", { id: "inc-answer-title", tabindex: "-1", text: T.incidents.published });
  var answerText = el("div", { class: "inc-answer__text" });
  var answerMeta = el("p", { class: "inc-answer__meta" });
  var edit = button(T.incidents.edit, function () {
    editing = true;
    answer.value = (shown && shown.answer) || "";
    render();
    answer.focus();
  }, { "aria-expanded": "false" });
  var published = el("section", { class: "inc-answer", "aria-labelledby": "inc-answer-title" }, [
    answerHeading, answerText, answerMeta, edit,
  ]);

  var question = el("input", { maxlength: "300", autocomplete: "off" });
  var answer = el("textarea", { rows: "6", maxlength: "8000", required: true });
  var publish = el("button", { type: "submit", class: "primary", text: T.incidents.publish });
  var formStatus = el("p", { class: "inc-form__status", role: "alert" });
  var cancel = button(T.cancel, function () {
    editing = false;
    form.reset();
    drafts.put(shown.id, null);
    formStatus.textContent = "";
    render();
    edit.focus();
  });
  var form = el("form", { class: "inc-form", novalidate: true }, [
    field(T.incidents.question, question),
    field(T.incidents.answer, answer),
    formStatus,
    el("div", { class: "inc-form__row" }, [publish, cancel]),
  ]);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit();
  });
  form.addEventListener("input", function () {
    var writing = question.value || answer.value;
    drafts.put(shown.id, writing ? { question: question.value, answer: answer.value, editing: editing } : null);
  });

  var retire = el("input", { type: "checkbox" });
  var closeButton = button(T.incidents.close, closeIt, { class: "danger" });
  var closing = el("div", { class: "inc-close" }, [
    el("label", { class: "inc-close__retire" }, [retire, " " + T.incidents.retire]),
    closeButton,
  ]);
  var closedNote = el("p", { class: "inc-closed", text: T.incidents.closedNote });
  var back = button(T.incidents.back, function () {
    var cid = app.conversation.current();
    if (cid) app.openConversation(cid);
  }, { class: "link inc-back" });

  var body = el("div", { class: "inc-detail__body" }, [
    label, status, facts, figure,
    el("h3", { text: T.incidents.samples }), samples,
    published, form, closing, closedNote,
  ]);
  var root = el("section", { class: "conv inc-detail", "aria-labelledby": "inc-title" }, [back, title, body]);

  function open(incident) {
    var other = !shown || shown.id !== incident.id;
    shown = incident;
    forgetIfPublished(incident);
    if (other) {
      var draft = drafts.get(incident.id); // what was being written for this one, if anything
      editing = Boolean(draft && draft.editing);
      form.reset();
      question.value = (draft && draft.question) || "";
      answer.value = (draft && draft.answer) || "";
      retire.checked = false;
      formStatus.textContent = "";
    }
    render();
    title.focus();
    reload();
  }

  function reload(quietly) {
    // The server's word: the list may not have this incident (closed, or opened from the alert early).
    var asked = shown && shown.id;
    if (!asked) return;
    app.api.incident(asked).then(function (fresh) {
      if (shown && shown.id === fresh.id) update(fresh);
    }, function (error) {
      if (!quietly) toast(problem(error), "error"); // quietly: the list's follow-up (incidents.js) asks again soon
    });
  }

  function update(incident) {
    if (!shown || shown.id !== incident.id) return;
    // An incident only moves on (open, answered, closed): a reply read before a change, arriving after it, is stale.
    if (shown.status && STAGES[incident.status] < STAGES[shown.status]) return;
    shown = incident;
    forgetIfPublished(incident);
    render();
  }

  // A draft that is now the published answer is done with. The live update can show it published before the
  // publish request's own reply arrives, and a reload in between must not bring the draft back.
  function forgetIfPublished(incident) {
    var draft = drafts.get(incident.id);
    if (draft && incident.answer && (draft.answer || "").trim() === incident.answer) drafts.put(incident.id, null);
  }

  function render() {
    var incident = shown;
    var state = incident.status;
    back.hidden = !app.conversation.current();
    title.textContent = fill(T.incidents.heading, { id: incident.id });
    label.textContent = incident.label || "";
    body.hidden = !state; // only the id so far (from an alert): the rest comes with reload()
    if (!state) return;
    clear(status).appendChild(statusBadge(state));
    renderFacts(incident);
    // a new chart (or, from a server before chart_version, new counts): a new image
    var version = encodeURIComponent(incident.chart_version || incident.count);
    var src = incident.chart + "?lang=" + LANG + "&v=" + version + "-" + state;
    if (chart.getAttribute("src") !== src) chart.setAttribute("src", src);
    chart.setAttribute("alt", fill(T.incidents.asked, { count: incident.count }) + T.comma +
      fill(T.incidents.baseline, { baseline: incident.baseline }));
    clear(samples);
    (incident.samples || []).forEach(function (sample) {
      samples.appendChild(el("li", { text: sample }));
    });
    published.hidden = !incident.answer;
    answerText.textContent = incident.answer || "";
    answerMeta.textContent = [
      incident.entry_id ? fill(T.incidents.entry, { id: incident.entry_id }) : "",
      incident.answered_at ? T.incidents.answeredAt + " " + dateTime(incident.answered_at) : "",
    ].filter(Boolean).join(" · ");
    edit.hidden = state !== "answered" || editing;
    edit.setAttribute("aria-expanded", String(editing));
    form.hidden = state === "closed" || (state === "answered" && !editing);
    publish.textContent = state === "answered" ? T.incidents.update : T.incidents.publish;
    cancel.hidden = !editing;
    closing.hidden = state === "closed";
    retire.disabled = !incident.entry_id;
    if (retire.disabled) retire.checked = false;
    closedNote.hidden = state !== "closed";
  }

  // "12 questions in 10 minutes against 1.9 expected (p = 4e-9), all questions naming 900001"
  function evidence(e) {
    var text = fill(T.incidents.evidence, {
      observed: e.observed, minutes: e.resolution_minutes, expected: e.expected, p: e.p_value,
    });
    var funds = Object.keys(e.funds || {});
    // What the surge asks: the FAQ entry most of its questions were matched to (absent in evidence kept before)
    var asks = e.asks && e.trigger !== "entry" ? T.comma + fill(T.incidents.asks, { entry: e.asks }) : "";
    if (e.trigger === "fund" && funds.length) {
      return text + T.comma + fill(T.incidents.fundTrigger, { fund: funds[0] }) + asks;
    }
    if (e.trigger === "entry" && e.entry) text += T.comma + fill(T.incidents.entryTrigger, { entry: e.entry });
    if (funds.length) text += T.comma + fill(T.incidents.funds, { funds: funds.join(T.listSeparator) });
    return text + asks;
  }

  // "17 of 33 (52%), expected 17%": the share test the alarm passed (absent in evidence kept before it was), and
  // the other questions against their expectation, which say whether a market-wide rise was there to veto it
  function share(e) {
    var text = fill(T.incidents.shareOf, {
      observed: e.observed, total: e.share_total, share: percent(e.observed / e.share_total),
      expected: percent(e.share_expected),
    });
    if (e.share_others == null || e.share_others_expected == null) return text;
    return text + T.semicolon + fill(T.incidents.others, { others: e.share_others, expected: e.share_others_expected });
  }

  function percent(fraction) {
    var value = fraction * 100;
    return (value >= 10 ? value.toFixed(0) : String(Number(value.toPrecision(2)))) + "%";
  }

  function surgeEnded(incident) {
    var when = dateTime(incident.surge_ended_at);
    return incident.status === "open" ? when + " · " + T.incidents.surgeEndedOpen : when;
  }

  function renderFacts(incident) {
    var rows = [
      [T.incidents.team, app.teamName(incident.team_id)],
      [T.incidents.fund, incident.fund_code || T.noFund],
      [T.incidents.volume, fill(T.incidents.asked, { count: incident.count }) + " · " +
        fill(T.incidents.baseline, { baseline: incident.baseline })],
      [T.incidents.askedIn, conversations(incident.conversations)],
    ];
    if (incident.evidence) rows.push([T.incidents.why, evidence(incident.evidence)]);
    var e = incident.evidence;
    if (e && e.share_total && e.share_expected != null) rows.push([T.incidents.share, share(e)]);
    rows.push([T.incidents.started, dateTime(incident.started_at)]);
    rows.push([T.incidents.detected, dateTime(incident.detected_at)]);
    if (incident.surge_ended_at) rows.push([T.incidents.surgeEnded, surgeEnded(incident)]);
    if (incident.closed_at) rows.push([T.incidents.closedAt, dateTime(incident.closed_at)]);
    clear(facts);
    rows.forEach(function (row) {
      append(facts, [el("dt", { text: row[0] }), el("dd", { text: row[1] })]);
    });
  }

  function submit() {
    var id = shown.id;
    var text = answer.value.trim();
    if (!text) {
      formStatus.textContent = T.incidents.empty;
      answer.focus();
      return;
    }
    formStatus.textContent = "";
    publish.disabled = true;
    app.api
      .answerIncident(id, text, question.value.trim())
      .then(function (incident) {
        drafts.put(id, null);
        if (shown && shown.id === id) {
          editing = false;
          form.reset();
        }
        changed(incident);
        toast(T.incidents.publishedToast);
        if (shown && shown.id === id) answerHeading.focus(); // the form is gone: show what was published
      }, function (error) {
        if (error.status === 400) formStatus.textContent = problem(error); // e.g. not valid FAQ
        else toast(problem(error), "error");
        if (error.status === 409) reload(); // closed meanwhile
      })
      .then(function () {
        publish.disabled = false;
      });
  }

  function closeIt() {
    var id = shown.id;
    var retiring = retire.checked && !retire.disabled;
    closeButton.disabled = true;
    app.api
      .closeIncident(id, retiring)
      .then(function (incident) {
        changed(incident);
        toast(retiring ? T.incidents.retiredToast : T.incidents.closedToast);
        if (shown && shown.id === id) title.focus();
      }, function (error) {
        toast(problem(error), "error");
        reload();
      })
      .then(function () {
        closeButton.disabled = false;
      });
  }

  return {
    root: root,
    open: open,
    reload: reload,
    update: update,
    current: function () {
      return shown ? shown.id : null;
    },
  };
}
