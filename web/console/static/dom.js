// FundDesk staff console: plain JS, no framework, no build step. The served /console/console.js
// is the widget's markdown renderer, the shared live.js (LiveSocket), then the console's files in the
// order of BUNDLE (web/console/__init__.py: the words first, console.js last) inside one function.
//
// dom.js: the helpers every part uses (the words: words_en.js, words_zh.js, strings.js). Safety rule for the whole console: data
// (an investor's message, a name, a canned response) reaches the DOM only through textContent
// or attribute values set with setAttribute. Nothing parses HTML, so a payload stays text.

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
  return when.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
}

function dateTime(iso) {
  var when = new Date(millis(iso));
  return isNaN(when.getTime()) ? "" : when.toLocaleString(LOCALE);
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
