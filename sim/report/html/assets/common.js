/* intelsim report: helpers shared by the run and experiment pages (no dependencies). */
"use strict";

const Report = {};

/* An embedded block of data: base64 of gzip of JSON, inflated by the browser itself
 * (to its JSON text: parsing is left to whoever needs it, when it does). */
Report.inflate = async function inflate(id) {
  const node = document.getElementById(id);
  if (!node) return null;
  const encoded = node.textContent.trim();
  let bytes;
  if (Uint8Array.fromBase64) {
    bytes = Uint8Array.fromBase64(encoded); // native, ~40x faster than the loop below
  } else {
    const text = atob(encoded);
    bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
};

/* Started at once, while the rest of the page's code is compiled: the page's data, and
 * the parts of it kept in blocks of their own (`intelsim-NAME`, parsed on first use). */
Report.data = Report.inflate("intelsim-data").then((text) => JSON.parse(text));
Report.deferred = {};
for (const node of document.querySelectorAll("script[id^='intelsim-']")) {
  if (node.id !== "intelsim-data") Report.deferred[node.id.slice("intelsim-".length)] = Report.inflate(node.id);
}

/* Lines stored as templates and numbers (sim/report/html/texts.py): each number is the
 * difference from the same number of the last line of the same template. The numbers
 * are summed at once (typed arrays, fast); a line's text is built when first asked for. */
Report.Texts = class Texts {
  constructor(encoded) {
    this.parts = encoded.templates.map((t) => t.split("\u0001"));
    this.which = encoded.template;
    const n = this.which.length, numbers = encoded.numbers;
    this.length = n;
    this.values = new Float64Array(numbers.length);
    this.offset = new Int32Array(n + 1);
    const last = this.parts.map((p) => new Float64Array(p.length - 1));
    let k = 0;
    for (let i = 0; i < n; i++) {
      this.offset[i] = k;
      const values = last[this.which[i]];
      for (let j = 0; j < values.length; j++, k++) {
        values[j] += numbers[k];
        this.values[k] = values[j];
      }
    }
    this.offset[n] = k;
    this.built = new Array(n);
  }

  at(i) {
    let text = this.built[i];
    if (text === undefined) {
      const pieces = this.parts[this.which[i]];
      text = pieces[0];
      for (let j = 1, k = this.offset[i]; j < pieces.length; j++, k++) text += this.values[k] + pieces[j];
      this.built[i] = text;
    }
    return text;
  }
};

/* Every line of `encoded` (templates and numbers). */
Report.texts = function texts(encoded) {
  const decoded = new Report.Texts(encoded);
  return Array.from({ length: decoded.length }, (_, i) => decoded.at(i));
};

/* Run a library the page keeps as text until first needed (`data-library` NAME). */
Report.library = function library(name) {
  if (!(name in window)) {
    const kept = document.querySelector(`script[data-library="${name}"]`);
    const script = document.createElement("script");
    script.textContent = kept.textContent;
    document.body.append(script); // an inline script runs as it is added
  }
  return window[name];
};

/* Running sums: the page stores increasing integers as differences. */
Report.undelta = function undelta(values) {
  const out = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) { sum += values[i]; out[i] = sum; }
  return out;
};

/* The number of entries of sorted `array` that are <= `value`. */
Report.countAtMost = function countAtMost(array, value, lo = 0, hi = array.length) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (array[mid] <= value) lo = mid + 1; else hi = mid;
  }
  return lo;
};

Report.escape = function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
};

Report.el = function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
};

/* A number for people: integers as they are, others to a few significant digits. */
Report.number = function number(value, digits = 3) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString("en-GB");
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-GB");
  return Number(value.toPrecision(digits)).toString();
};

/* Colour-blind-safe palette (Okabe and Ito), then darker fallbacks. */
Report.palette = [
  "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
  "#8C564B", "#7F7F7F", "#BCBD22", "#17BECF", "#9467BD",
];

Report.fatal = function fatal(error) {
  const box = document.getElementById("fatal");
  if (box) {
    box.hidden = false;
    box.textContent = "This report could not be shown: " + (error && error.message ? error.message : error);
  }
  console.error(error);
};
