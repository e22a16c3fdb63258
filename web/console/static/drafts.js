// drafts.js: what a member of staff is writing (a reply in a conversation, an answer to an incident) is kept
// per conversation and per incident, so that opening another one, the language switch or a reload loses
// nothing. It lives in this tab's sessionStorage, under the staff member's id: a draft may quote an investor,
// so it must not outlive the tab on a shared desk, and signing out forgets every draft.

var DRAFT_PREFIX = "funddesk.console.draft.";

function Drafts(app, kind) {
  function key(id) {
    return DRAFT_PREFIX + app.user().id + "." + kind + "." + id;
  }

  return {
    get: function (id) {
      try {
        var saved = window.sessionStorage.getItem(key(id));
        return saved ? JSON.parse(saved) : null;
      } catch (unreadable) {
        return null; // storage off, or not ours: no draft
      }
    },
    // ``value`` is an object; null forgets the draft.
    put: function (id, value) {
      try {
        if (!value) window.sessionStorage.removeItem(key(id));
        else window.sessionStorage.setItem(key(id), JSON.stringify(value));
      } catch (full) {
        // storage off or full: the draft stays on screen, as before drafts were kept
      }
    },
  };
}

function forgetDrafts() {
  try {
    Object.keys(window.sessionStorage).forEach(function (name) {
      if (name.indexOf(DRAFT_PREFIX) === 0) window.sessionStorage.removeItem(name);
    });
  } catch (blocked) {
    // nothing was kept
  }
}
