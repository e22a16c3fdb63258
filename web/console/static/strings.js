// strings.js: which of the console's languages this page speaks (words_en.js, words_zh.js): the staff member's
// choice (the switch on the login page and in the header, kept in this browser), else the browser's language.

var CONSOLE_LANG_KEY = "funddesk.console.lang"; // not "funddesk:…": those keys are the widget's conversations

// The staff member's choice in this browser, else the browser's first language.
function consoleLang() {
  var chosen = null;
  try {
    chosen = window.localStorage.getItem(CONSOLE_LANG_KEY);
  } catch (blocked) {
    chosen = null; // storage off: the browser's language
  }
  if (chosen === "en" || chosen === "zh") return chosen;
  var preferred = (navigator.languages && navigator.languages[0]) || navigator.language || "en";
  return /^zh\b/i.test(preferred) ? "zh" : "en";
}

function switchConsoleLang() {
  try {
    window.localStorage.setItem(CONSOLE_LANG_KEY, LANG === "zh" ? "en" : "zh");
  } catch (blocked) {
    return; // nowhere to keep the choice
  }
  // The session is a cookie, the address says what was open and drafts are kept (route.js, drafts.js): the console
  // comes back signed in, where it was, in the other language.
  window.location.reload();
}

var LANG = consoleLang();
var LOCALE = LANG === "zh" ? "zh-CN" : undefined; // dates and times: Chinese, or the browser's own way
var T = CONSOLE_STRINGS[LANG];
var AT = T.analytics;
document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
document.title = T.title;
