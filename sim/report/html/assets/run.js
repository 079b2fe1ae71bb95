/* intelsim report of one run: map, scrubber, perspectives, provenance, metrics, glossary.
 *
 * The page folds nothing. Python computed every state change as a delta of what
 * `intelsim replay` prints; this code applies those deltas (keeping snapshots every
 * SNAPSHOT groups to jump back), filters lines by the viewers Python computed, and
 * draws. Times are integer ticks (micro-hours); an event at tick e is shown at t >= e.
 *
 * A perspective is enforced on the data, not on the page: `Perspective` derives, once
 * per view, everything the page may draw (lines, nodes, links and their fields, trips,
 * provenance, charts), and every view of the page reads only that. As a node, that is
 * what `timeline/replay/explain --as NODE` give, and no ground truth at all.
 */
"use strict";

const SNAPSHOT = 256; // delta groups between two snapshots
const TIMELINE_WINDOW = 60; // timeline lines listed after a jump (the newest up to the time shown)
const TIMELINE_MORE = 300; // earlier lines added per request
const TIMELINE_KEEP = 2000; // lines kept while playing forward, before the list starts afresh
const SET = 0, SPLICE = 1, ENTRIES = 2;
const DELIVERED = 0, DROPPED = 1;
const MARK_KINDS = {
  assessment: "#1b6b2f", drop: "#c62828", link: "#e08a00", intervention: "#8e1d84",
  exploitation: "#1565c0", consent: "#00838f",
};
const KIND_COLOURS = { report: "#0072B2", assessment: "#009E73" };
const LAYER_WORDS = {
  usage: "usages", fabrication: "fabrications", report: "reports", contradiction: "contradicting reports",
  node: "nodes they passed", assessment: "assessment", receiver: "received by",
};
const TRUTH_KINDS = new Set(["usage", "fabrication"]);
const ASSESSMENT_ID = /\bA-[A-Za-z0-9_.-]*?-\d+\b/g;

function applyOp(state, paths, op) {
  const path = paths[op[0]];
  const entity = state[path[0]][path[1]];
  const field = path[2];
  if (op[1] === SET) {
    const value = op[2];
    entity[field] = value !== null && typeof value === "object" ? structuredClone(value) : value;
  } else if (op[1] === SPLICE) {
    entity[field].splice(op[2], op[3], ...op[4]);
  } else if (op[1] === ENTRIES) {
    const target = entity[field];
    Object.assign(target, op[2]);
    for (const key of op[3]) delete target[key];
  }
}

/* The described state at any event, from the initial state and the delta groups. */
class StateModel {
  constructor(data) {
    this.times = Report.undelta(data.times);
    this.paths = data.state.paths;
    this.groupEvent = Report.undelta(data.state.event);
    this.ops = data.state.ops;
    this.snapshots = [structuredClone(data.state.initial)];
    this.state = structuredClone(data.state.initial);
    this.applied = 0; // delta groups applied to this.state
  }

  /* Snapshots up to number k (each SNAPSHOT groups further). */
  ensureSnapshots(k) {
    while (this.snapshots.length <= k) {
      const last = this.snapshots.length - 1;
      const state = structuredClone(this.snapshots[last]);
      const end = Math.min((last + 1) * SNAPSHOT, this.ops.length);
      for (let g = last * SNAPSHOT; g < end; g++) {
        for (const op of this.ops[g]) applyOp(state, this.paths, op);
      }
      this.snapshots.push(state);
    }
  }

  /* The state just after the last event at or before `tick`. */
  seek(tick) {
    const events = Report.countAtMost(this.times, tick);
    const groups = Report.countAtMost(this.groupEvent, events - 1);
    if (groups < this.applied || groups - this.applied > SNAPSHOT) {
      const k = Math.floor(groups / SNAPSHOT);
      this.ensureSnapshots(k);
      this.state = structuredClone(this.snapshots[k]);
      this.applied = k * SNAPSHOT;
    }
    while (this.applied < groups) {
      for (const op of this.ops[this.applied]) applyOp(this.state, this.paths, op);
      this.applied++;
    }
    return events;
  }
}

/* Timeline lines, and the lines each perspective sees. */
class Lines {
  constructor(data, times) {
    const lines = data.lines;
    this.kinds = lines.kinds;
    this.kind = lines.kind;
    this.text = new Report.Texts(lines.text); // built line by line, when shown
    this.extra = lines.extra;
    this.truth = lines.truth;
    this.viewers = lines.viewers;
    this.viewerSets = lines.viewer_sets.map((s) => new Set(s));
    this.minute = Report.undelta(lines.minute);
    const event = Report.undelta(lines.event);
    this.tick = new Float64Array(event.length);
    for (let i = 0; i < event.length; i++) this.tick[i] = times[event[i]];
    this.startMinute = data.run.start_minute;
    this.cache = new Map();
  }

  /* The indices of the lines a perspective shows (null: ground truth, every line). */
  of(nodeIndex) {
    const key = nodeIndex === null ? -1 : nodeIndex;
    if (!this.cache.has(key)) {
      const picked = [];
      for (let i = 0; i < this.text.length; i++) {
        if (nodeIndex === null || this.viewerSets[this.viewers[i]].has(nodeIndex)) picked.push(i);
      }
      const ticks = new Float64Array(picked.length);
      picked.forEach((line, j) => { ticks[j] = this.tick[line]; });
      this.cache.set(key, { index: Int32Array.from(picked), ticks });
    }
    return this.cache.get(key);
  }

  textOf(i, groundTruth) {
    if (!groundTruth) return this.text.at(i);
    const extra = this.extra[i];
    return typeof extra === "string" ? this.text.at(i) + extra : extra[0];
  }

  when(i) {
    return Report.minuteText(this.startMinute + this.minute[i]);
  }
}

/* `usage_to_assessment_h.median` -> `usage to assessment (hours), median`. */
Report.metricName = function metricName(key) {
  return key.replace(/_h(\.|$)/, " (hours)$1").replace(/\./g, ", ").replace(/_/g, " ");
};

/* "12d6h", "90m", "1w", "36" (hours) -> hours; null if unreadable. */
/* The unit a metric's name implies, for an axis: "hours", "share" or a count. */
Report.unitOf = function unitOf(key) {
  if (/_h(\.|$)/.test(key)) return /\.n$/.test(key) ? "count" : "hours";
  if (/coverage|share/.test(key)) return "share (0–1)";
  return "count";
};

Report.parseDuration = function parseDuration(text) {
  const units = { w: 168, d: 24, h: 1, m: 1 / 60 };
  const trimmed = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)([wdhm])/g)];
  if (!parts.length || parts.map((m) => m[0]).join("") !== trimmed) return null;
  return parts.reduce((sum, m) => sum + Number(m[1]) * units[m[2]], 0);
};

Report.minuteText = function minuteText(minute) {
  const d = new Date(minute * 60000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
};

/* Messages on links: sorted by the tick they were sent. */
class TripTable {
  constructor(data, links, horizon) {
    const trips = data.trips;
    this.reasons = trips.reasons;
    this.kinds = trips.kinds;
    this.link = trips.link;
    this.sent = Report.undelta(trips.sent);
    const n = this.link.length;
    this.departs = new Float64Array(n);
    this.ends = new Float64Array(n);
    let longest = 0;
    for (let i = 0; i < n; i++) {
      this.departs[i] = this.sent[i] + trips.departs[i];
      this.ends[i] = trips.ends[i] < 0 ? Infinity : this.sent[i] + trips.ends[i];
      longest = Math.max(longest, (Number.isFinite(this.ends[i]) ? this.ends[i] : horizon) - this.sent[i]);
    }
    this.longest = longest;
    this.outcome = trips.outcome;
    this.reason = trips.reason;
    this.item = trips.item;
    this.kind = trips.kind;
    this.seenSent = trips.seen_sent;
    this.seenEnd = trips.seen_end;
    const drops = [];
    for (let i = 0; i < n; i++) if (this.outcome[i] === DROPPED) drops.push(i);
    drops.sort((a, b) => this.ends[a] - this.ends[b]);
    this.drops = Int32Array.from(drops);
    this.dropTicks = Float64Array.from(drops.map((i) => this.ends[i]));
  }

  /* Trips on their way at `tick` (sent, not yet ended). */
  inFlight(tick) {
    const out = [];
    const upto = Report.countAtMost(this.sent, tick);
    for (let i = upto - 1; i >= 0 && this.sent[i] >= tick - this.longest; i--) {
      if (this.ends[i] > tick) out.push(i);
    }
    return out;
  }

  /* Drops that happened in (tick - window, tick]. */
  recentDrops(tick, window) {
    const hi = Report.countAtMost(this.dropTicks, tick);
    const lo = Report.countAtMost(this.dropTicks, tick - window);
    return Array.from(this.drops.subarray(lo, hi));
  }

  /* Drops on a link up to `tick` that `seen(viewerSet)` accepts. */
  droppedSoFar(linkIndex, tick, seen) {
    let n = 0;
    for (let k = 0; k < this.drops.length && this.dropTicks[k] <= tick; k++) {
      const i = this.drops[k];
      if (this.link[i] === linkIndex && seen(this.seenEnd[i])) n++;
    }
    return n;
  }
}

/* What one perspective knows: ground truth (name null) or one node's view. */
class Perspective {
  constructor(report, name) {
    const data = report.data;
    this.name = name;
    this.truth = name === null;
    // a node the run does not have (a mistyped address) knows nothing
    const known = this.truth ? null : data.perspectives[name] || { nodes: [], links: [], fields: [] };
    const index = this.truth ? null : report.nodeIndex.get(name);
    this.lines = report.lines.of(index);
    this.nodes = this.truth ? report.nodes.map((n) => n.name) : known.nodes;
    this.links = this.truth ? report.links.map((l) => l.name) : known.links;
    this.nodeSet = new Set(this.nodes);
    this.linkSet = new Set(this.links);
    this.fields = this.truth ? null : known.fields;
    // for each interned set of viewers, whether this perspective is among them
    this.sees = report.lines.viewerSets.map((set) => this.truth || set.has(index));
    // the assessments it may open (their provenance is parsed when first opened)
    this.assessments = new Set(this.truth ? data.assessments.items : (data.assessments.as[name] || []));
    // the metrics measure the mechanism against ground truth (usages, fabrications)
    this.metrics = this.truth ? data.metrics : { keys: [], values: [] };
    this.sizes = {
      nodes: this.only(data.sizes.nodes, this.nodeSet, null),
      links: this.only(data.sizes.links, this.linkSet, this.fields),
    };
    const linkIx = new Set(this.links.map((l) => report.linkIndex.get(l)));
    this.outages = {
      down: data.outages.down.filter(([ix]) => linkIx.has(ix)),
      compromised: this.truth ? data.outages.compromised : [],
    };
  }

  /* `{field: {name: series}}` kept to the names (and fields) this perspective sees. */
  only(byField, names, fields) {
    const out = {};
    for (const [field, byName] of Object.entries(byField)) {
      if (fields && !fields.includes(field)) continue;
      const kept = Object.fromEntries(Object.entries(byName).filter(([name]) => names.has(name)));
      if (Object.keys(kept).length) out[field] = kept;
    }
    return out;
  }

  /* Whether this perspective saw an event with this interned set of viewers. */
  seen(viewerSet) {
    return this.truth || (viewerSet >= 0 && this.sees[viewerSet]);
  }

  /* A link's described state, with only the fields this perspective may see. */
  linkFields(link) {
    if (this.truth) return link;
    const shown = {};
    for (const field of this.fields) shown[field] = link[field];
    return shown;
  }

  label() { return this.truth ? "ground truth" : `as ${this.name}`; }
}

class RunReport {
  constructor(data, deferred) {
    this.data = data;
    // {part: promise of its JSON text}: inflated while the page starts, parsed on first use
    this.deferred = deferred;
    this.texts = {};
    this.parts = {};
    for (const [name, promise] of Object.entries(deferred)) {
      promise.then((text) => { this.texts[name] = text; });
    }
    this.run = data.run;
    this.tph = data.run.ticks_per_hour;
    this.startMs = Date.parse(data.run.start);
    this.end = Math.max(data.run.end, data.run.horizon);
    this.model = new StateModel(data);
    this.lines = new Lines(data, this.model.times);
    this.nodes = data.network.nodes;
    this.links = data.network.links;
    this.nodeIndex = new Map(this.nodes.map((n, i) => [n.name, i]));
    this.linkIndex = new Map(this.links.map((l, i) => [l.name, i]));
    this.trips = new TripTable(data, this.links, this.end);
    this.perspectives = new Map();
    this.view = null; // null: ground truth; else a node name
    this.pv = this.perspective(null);
    this.tick = 0;
    this.playing = false;
    this.selected = null; // {kind: "node"|"link", name}
    this.timelineShown = null;
    this.charts = null;
    this.timings = { firstRender: null, lastSeek: null };
  }

  start() {
    const started = performance.now();
    const steps = (this.timings.start = {});
    const step = (name, run) => {
      const begun = performance.now();
      run();
      steps[name] = performance.now() - begun;
    };
    this.followView(); // before anything is drawn: a node's view never shows ground truth first
    step("header", () => this.buildHeader());
    this.renderNotice();
    step("map", () => this.buildMap());
    step("scrubber", () => this.buildScrubber());
    step("glossary", () => this.buildGlossary());
    step("provenance", () => this.buildProvenanceSelect());
    this.bindTabs();
    step("seek", () => this.seek(0));
    step("fit", () => this.cy.fit(30));
    this.timings.firstRender = performance.now() - started;
    // the first frame painted with everything in place, from navigation start
    requestAnimationFrame(() => requestAnimationFrame(() => { this.timings.drawn = performance.now(); }));
    this.buildSnapshotsWhenIdle();
    this.followAddress();
    window.addEventListener("hashchange", () => this.followAddress());
  }

  /* The address can say what to show, e.g. report.html#t=12d6h&as=UKR-HUR&item=A-NATO-JISD-3
   * (t: hours, or a duration in w/d/h/m; as: a node; tab: map, metrics or glossary;
   * item: an assessment to open): a lesson can link to the moment it talks about. */
  followAddress() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    if (this.followView()) this.setView(this.view);
    if (params.has("t")) {
      const hours = Report.parseDuration(params.get("t"));
      if (hours !== null) this.seek(hours * this.tph);
    }
    if (params.has("tab") && ["map", "metrics", "glossary", "provenance"].includes(params.get("tab"))) {
      this.showTab(params.get("tab"));
    }
    if (params.has("item")) this.openAssessment(params.get("item"));
  }

  /* The view the address asks for (`as=NODE`, or `as=` for ground truth); true if it
   * changes the view. A node the run does not have knows nothing: a mistyped link for a
   * class opens on an empty run with a notice, never on the ground truth. */
  followView() {
    const params = new URLSearchParams(window.location.hash.slice(1));
    if (!params.has("as")) return false;
    const asked = params.get("as") || null;
    if (asked === this.view) return false;
    this.view = asked;
    this.pv = this.perspective(asked);
    return true;
  }

  renderNotice() {
    const box = document.getElementById("notice");
    const unknown = this.view !== null && !this.nodeIndex.has(this.view);
    box.hidden = !unknown;
    if (unknown) {
      const names = this.nodes.map((n) => n.name).join(", ");
      box.textContent = `This address asks for the view of "${this.view}", which this run does not ` +
        `have (its nodes: ${names}): nothing is shown. Choose a view above.`;
    }
  }

  /* Each perspective's knowledge, derived once. */
  perspective(name) {
    const key = name === null ? "" : name;
    if (!this.perspectives.has(key)) this.perspectives.set(key, new Perspective(this, name));
    return this.perspectives.get(key);
  }

  /* Snapshots for jumping back, built a few at a time while the page is idle. */
  buildSnapshotsWhenIdle() {
    const model = this.model;
    const last = Math.floor(model.ops.length / SNAPSHOT);
    const idle = window.requestIdleCallback || ((f) => setTimeout(() => f({ timeRemaining: () => 8 }), 30));
    const work = (deadline) => {
      while (model.snapshots.length <= last && deadline.timeRemaining() > 2) {
        model.ensureSnapshots(model.snapshots.length);
      }
      if (model.snapshots.length <= last) idle(work);
    };
    idle(work);
  }

  hours(tick) { return tick / this.tph; }

  /* ---------------------------------------------------------------- header, tabs */

  buildHeader() {
    const run = this.run;
    document.getElementById("title").textContent = `${run.scenario} — seed ${run.seed}`;
    const days = Report.number(this.hours(run.horizon) / 24);
    const hash = run.final_hash ? ` · log ${String(run.final_hash).slice(0, 12)}…` : "";
    this.subtitleParts = { days, hash };
    this.renderSubtitle();
    const select = document.getElementById("perspective");
    select.append(Report.el("option", { value: "", text: "Ground truth (everything)" }));
    for (const node of this.nodes) {
      select.append(Report.el("option", { value: node.name, text: `as ${node.name}` }));
    }
    select.value = this.view || "";
    select.addEventListener("change", () => this.setView(select.value || null));
  }

  /* The run's size and description are ground truth; a node's view counts its lines. */
  renderSubtitle() {
    const run = this.run;
    const { days, hash } = this.subtitleParts;
    const size = this.pv.truth
      ? `${run.events.toLocaleString("en-GB")} events`
      : `${this.pv.lines.index.length.toLocaleString("en-GB")} lines seen by ${this.view}`;
    const subtitle = document.getElementById("subtitle");
    subtitle.title = this.pv.truth ? run.description || "" : "";
    subtitle.textContent =
      `${run.start.slice(0, 10)}, ${days} days · ${size} · run ${run.id}${hash}` +
      (run.ended ? "" : " · the log ends early (the run was interrupted)") +
      (this.pv.truth && run.description ? ` — ${run.description}` : "");
  }

  bindTabs() {
    for (const button of document.querySelectorAll(".tabs button")) {
      button.addEventListener("click", () => this.showTab(button.dataset.tab));
    }
    document.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("resize", () => {
      if (this.cy && this.tab === "map") this.cy.fit(30);
      this.drawMarks();
      this.resizeCharts();
      this.drawOverlay();
    });
  }

  showTab(name) {
    for (const button of document.querySelectorAll(".tabs button")) {
      button.classList.toggle("active", button.dataset.tab === name);
    }
    for (const tab of document.querySelectorAll(".tab")) {
      tab.classList.toggle("active", tab.id === `tab-${name}`);
    }
    this.tab = name;
    if (name === "metrics") this.buildCharts();
    if (name === "map" && this.cy) { this.cy.fit(30); this.drawOverlay(); }
    if (name === "provenance" && this.provCy) this.provCy.fit(20);
    this.render();
  }

  /* Show the run as `view` saw it (null: ground truth): every part of the page is
   * drawn again from that perspective's knowledge. */
  setView(view) {
    this.view = view;
    this.pv = this.perspective(view);
    document.getElementById("perspective").value = view || "";
    this.timelineShown = null;
    this.renderNotice();
    this.renderSubtitle();
    this.renderLegend();
    this.fillAssessments();
    this.showProvenance(this.provenanceShown);
    if (this.charts) {
      for (const { plot } of this.charts) plot.destroy();
      this.charts = null;
      if (this.tab === "metrics") this.buildCharts();
    }
    this.drawMarks();
    // whichever tab is shown, nothing drawn for the previous view stays in the page
    if (this.tab !== "map") for (const draw of ["renderTables", "renderMap", "renderDetails", "renderTimeline"]) this[draw]();
    if (this.tab !== "metrics") this.renderRunMetrics();
    this.render();
  }

  onKey(e) {
    if (e.target && ["SELECT", "INPUT"].includes(e.target.tagName) && e.key !== " ") return;
    if (e.key === " ") { e.preventDefault(); this.togglePlay(); return; }
    const day = 24 * this.tph;
    if (e.key === "ArrowRight") { e.preventDefault(); e.shiftKey ? this.seek(this.tick + day) : this.stepLine(1); }
    if (e.key === "ArrowLeft") { e.preventDefault(); e.shiftKey ? this.seek(this.tick - day) : this.stepLine(-1); }
  }

  /* To the next (or previous) line this perspective sees. */
  stepLine(direction) {
    const { ticks } = this.pv.lines;
    const n = Report.countAtMost(ticks, this.tick);
    if (direction > 0 && n < ticks.length) this.seek(ticks[n]);
    if (direction < 0 && n >= 2) this.seek(ticks[n - 2]);
    if (direction < 0 && n === 1) this.seek(0);
  }

  /* ---------------------------------------------------------------- time */

  buildScrubber() {
    const slider = document.getElementById("slider");
    this.sliderStep = this.tph / 100; // 0.01 h
    slider.max = String(Math.ceil(this.end / this.sliderStep));
    slider.addEventListener("input", () => this.seek(Number(slider.value) * this.sliderStep));
    document.getElementById("play").addEventListener("click", () => this.togglePlay());
    this.drawMarks();
  }

  drawMarks() {
    const canvas = document.getElementById("marks");
    const width = canvas.clientWidth || 800;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = width * ratio;
    canvas.height = 14 * ratio;
    const ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.clearRect(0, 0, width, 14);
    const { index, ticks } = this.pv.lines;
    // one mark per pixel and colour, however many lines fall on it (40,000 in a long run)
    const colours = this.lines.kinds.map((kind) => MARK_KINDS[kind] || null);
    const drawn = new Uint8Array(width * colours.length);
    for (let j = 0; j < index.length; j++) {
      const kind = this.lines.kind[index[j]];
      const colour = colours[kind];
      if (!colour) continue;
      const x = Math.round((ticks[j] / this.end) * (width - 1));
      if (drawn[kind * width + x]) continue;
      drawn[kind * width + x] = 1;
      ctx.fillStyle = colour;
      ctx.fillRect(x, 2, 1.5, 10);
    }
  }

  togglePlay() {
    this.playing = !this.playing;
    document.getElementById("play").innerHTML = this.playing ? "&#10074;&#10074;" : "&#9654;";
    if (this.playing) {
      if (this.tick >= this.end) this.seek(0);
      let last = performance.now();
      const step = (now) => {
        if (!this.playing) return;
        const hoursPerSecond = Number(document.getElementById("speed").value);
        const next = this.tick + ((now - last) / 1000) * hoursPerSecond * this.tph;
        last = now;
        this.seek(Math.min(next, this.end));
        if (this.tick >= this.end) { this.togglePlay(); return; }
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    }
  }

  /* Show the run at `tick` (clamped to the run). */
  seek(tick) {
    const started = performance.now();
    this.tick = Math.max(0, Math.min(Math.round(tick), this.end));
    this.eventsShown = this.model.seek(this.tick);
    this.timings.parts = { state: performance.now() - started };
    document.getElementById("slider").value = String(Math.round(this.tick / this.sliderStep));
    this.render();
    this.timings.lastSeek = performance.now() - started;
  }

  clockText() {
    const hours = this.hours(this.tick);
    const when = new Date(this.startMs + hours * 3600e3).toISOString().slice(0, 16).replace("T", " ");
    return `${when} UTC <span class="day">day ${(hours / 24).toFixed(1)}</span>`;
  }

  render() {
    document.getElementById("clock").innerHTML = this.clockText();
    const tab = this.tab || "map";
    if (tab === "map") {
      const parts = this.timings.parts || (this.timings.parts = {});
      for (const [name, draw] of [["tables", () => this.renderTables()], ["map", () => this.renderMap()],
        ["details", () => this.renderDetails()], ["timeline", () => this.renderTimeline()]]) {
        const started = performance.now();
        draw();
        parts[name] = performance.now() - started;
      }
    } else if (tab === "metrics") {
      this.renderChartCursors();
      this.renderRunMetrics();
    }
  }

  /* ---------------------------------------------------------------- tables */

  idList(ids, limit = 4) {
    if (!ids.length) return "";
    const more = ids.length > limit ? ` … +${ids.length - limit}` : "";
    return ids.slice(0, limit).join(", ") + more;
  }

  cell(field, value, html, cls) {
    const json = Report.escape(JSON.stringify(value));
    return `<td data-field="${field}" data-value="${json}"${cls ? ` class="${cls}"` : ""}>${html}</td>`;
  }

  renderTables() {
    const state = this.model.state;
    const e = Report.escape;
    const rows = [];
    for (const name of this.pv.nodes) {
      const n = state.nodes[name];
      const issued = Object.keys(n.assessments_issued).length;
      const received = Object.keys(n.assessments_received).length;
      const selected = this.selected && this.selected.kind === "node" && this.selected.name === name;
      rows.push(
        `<tr data-node="${e(name)}"${selected ? ' class="selected"' : ""}><td><b>${e(name)}</b></td>` +
        this.cell("analysts", n.analysts, n.analysts, "num") +
        this.cell("busy", n.busy, n.busy.length, "num") +
        this.cell("queue", n.queue, n.queue.length, "num") +
        this.cell("received", n.received, n.received, "num") +
        this.cell("analysed", n.analysed, n.analysed, "num") +
        `<td data-field="assessments" data-issued="${e(JSON.stringify(n.assessments_issued))}" ` +
        `data-received="${e(JSON.stringify(n.assessments_received))}">${issued} issued, ${received} received</td></tr>`,
      );
    }
    const nodeBody = document.querySelector("#nodes tbody");
    nodeBody.innerHTML = rows.join("");
    const linkRows = [];
    for (const name of this.pv.links) {
      const ix = this.linkIndex.get(name);
      const link = this.pv.linkFields(state.links[name]);
      const status = this.linkStatus(link);
      const selected = this.selected && this.selected.kind === "link" && this.selected.name === name;
      linkRows.push(
        `<tr data-link="${e(name)}"${selected ? ' class="selected"' : ""}><td><b>${e(name)}</b></td>` +
        `<td>${e(this.links[ix].ceiling.replace(/-/g, " "))}</td>` +
        `<td data-field="status" data-value="${e(JSON.stringify(link))}" class="status-${status.cls}">${e(status.text)}</td>` +
        this.cell("in_flight", link.in_flight, link.in_flight, "num") +
        this.cell("held", link.held, link.held, "num") +
        `<td class="num">${this.trips.droppedSoFar(ix, this.tick, (v) => this.pv.seen(v))}</td></tr>`,
      );
    }
    document.querySelector("#links tbody").innerHTML = linkRows.join("");
    if (!this.tablesBound) {
      this.tablesBound = true;
      nodeBody.addEventListener("click", (ev) => {
        const row = ev.target.closest("tr[data-node]");
        if (row) this.select("node", row.dataset.node);
      });
      document.querySelector("#links tbody").addEventListener("click", (ev) => {
        const row = ev.target.closest("tr[data-link]");
        if (row) this.select("link", row.dataset.link);
      });
    }
  }

  linkStatus(link) {
    if (link.compromised && link.compromised.length) {
      const how = link.up ? "up" : "down";
      return { cls: "compromised", text: `${how}, compromised (${link.compromised.join(", ")})` };
    }
    if (link.up) return { cls: "up", text: "up" };
    if (!link.enabled) return { cls: "closed", text: "closed" };
    return { cls: "down", text: `down (${link.down_causes.join(", ")})` };
  }

  select(kind, name) {
    const same = this.selected && this.selected.kind === kind && this.selected.name === name;
    this.selected = same ? null : { kind, name };
    if (this.cy) this.cy.select(this.selected ? name : null);
    this.render();
  }

  /* ---------------------------------------------------------------- details panel */

  itemLinks(ids) {
    return ids.map((id) => (this.pv.assessments.has(id)
      ? `<a class="item" data-item="${Report.escape(id)}">${Report.escape(id)}</a>`
      : Report.escape(id))).join(", ");
  }

  renderDetails() {
    const box = document.getElementById("details");
    const sel = this.selected;
    const e = Report.escape;
    if (!sel) { box.innerHTML = ""; return; }
    const state = this.model.state;
    if (sel.kind === "node") {
      if (!this.pv.nodeSet.has(sel.name)) {
        box.innerHTML = `<h3>${e(sel.name)}</h3><p class="muted">not seen from this perspective</p>`;
        return;
      }
      const n = state.nodes[sel.name];
      const meta = this.nodes[this.nodeIndex.get(sel.name)];
      const bands = (obj) => Object.entries(obj).map(([id, band]) =>
        `${this.itemLinks([id])} <span class="muted">${e(band)}</span>`).join("; ") || "—";
      box.innerHTML = `<h3>${e(sel.name)} <span class="muted">${e(meta.description || "")}</span></h3><dl>` +
        `<dt>nation</dt><dd>${e(this.data.network.nations[meta.nation] || meta.nation)}</dd>` +
        `<dt>analysts</dt><dd>${n.analysts} (${n.busy.length} busy${meta.fusion ? ", fuses reports" : ""})</dd>` +
        `<dt>under analysis</dt><dd>${e(n.busy.join(", ")) || "—"}</dd>` +
        `<dt>queue (${n.queue.length})</dt><dd>${e(this.idList(n.queue, 20)) || "—"}</dd>` +
        `<dt>issued</dt><dd>${bands(n.assessments_issued)}</dd>` +
        `<dt>received</dt><dd>${bands(n.assessments_received)}</dd></dl>`;
    } else {
      const ix = this.linkIndex.get(sel.name);
      const meta = this.links[ix];
      if (!this.pv.linkSet.has(sel.name)) {
        box.innerHTML = `<h3>${e(sel.name)}</h3><p class="muted">not seen from this perspective</p>`;
        return;
      }
      const link = this.pv.linkFields(state.links[sel.name]);
      const flying = this.trips.inFlight(this.tick)
        .filter((i) => this.trips.link[i] === ix && this.pv.seen(this.trips.seenSent[i]));
      const items = flying.map((i) => {
        const held = this.tick < this.trips.departs[i] ? " (held)" : "";
        return `${this.itemLinks([this.trips.item[i]])}${held}`;
      });
      const drops = {};
      for (const i of this.trips.drops) {
        if (this.trips.link[i] === ix && this.trips.ends[i] <= this.tick && this.pv.seen(this.trips.seenEnd[i])) {
          const reason = this.trips.reasons[this.trips.reason[i]];
          drops[reason] = (drops[reason] || 0) + 1;
        }
      }
      const dropText = Object.entries(drops).map(([r, n]) => `${n} ${r}`).join(", ") || "none";
      box.innerHTML = `<h3>${e(sel.name)}</h3><dl>` +
        `<dt>carries up to</dt><dd>${e(meta.ceiling.replace(/-/g, " "))}${meta.public ? " (public-facing)" : ""}</dd>` +
        `<dt>status</dt><dd>${e(this.linkStatus(link).text)}</dd>` +
        `<dt>on the way (${items.length})</dt><dd>${items.join(", ") || "—"}</dd>` +
        `<dt>dropped so far</dt><dd>${e(dropText)}</dd></dl>`;
    }
    if (!this.detailsBound) {
      this.detailsBound = true;
      box.addEventListener("click", (ev) => this.onItemClick(ev));
    }
  }

  onItemClick(ev) {
    const a = ev.target.closest("a.item");
    if (a) { ev.stopPropagation(); this.openAssessment(a.dataset.item); }
  }

  /* ---------------------------------------------------------------- timeline */

  linkify(escaped) {
    return escaped.replace(ASSESSMENT_ID, (id) =>
      (this.pv.assessments.has(id) ? `<a class="item" data-item="${id}">${id}</a>` : id));
  }

  lineHtml(i, current) {
    const lines = this.lines;
    const kind = lines.kinds[lines.kind[i]];
    const truth = lines.truth[i] ? " truth" : "";
    let text = Report.escape(lines.text.at(i));
    if (this.pv.truth) {
      const extra = lines.extra[i];
      if (typeof extra !== "string") text = Report.escape(extra[0]);
      else if (extra) text += `<span class="truth-note">${Report.escape(extra)}</span>`;
    }
    return `<li class="k-${kind}${truth}${current ? " current" : ""}" data-line="${i}">` +
      `<span class="when">${lines.when(i)}</span> <span class="text">${this.linkify(text)}</span></li>`;
  }

  /* The newest TIMELINE_WINDOW lines up to the time shown; earlier ones on request. */
  renderTimeline() {
    const list = document.getElementById("timeline");
    const { index, ticks } = this.pv.lines;
    const upto = Report.countAtMost(ticks, this.tick);
    const shown = this.timelineShown;
    if (shown && shown.view === this.view && shown.upto === upto) return;
    if (shown && shown.view === this.view && upto > shown.upto && upto - shown.upto <= TIMELINE_WINDOW &&
        upto - shown.from <= TIMELINE_KEEP) {
      // moving forward a little (playing): append, keep what is there
      const current = list.querySelector("li.current");
      if (current) current.classList.remove("current");
      const parts = [];
      for (let j = shown.upto; j < upto; j++) parts.push(this.lineHtml(index[j], j === upto - 1));
      list.insertAdjacentHTML("beforeend", parts.join(""));
      shown.upto = upto;
    } else {
      const from = Math.max(0, upto - TIMELINE_WINDOW);
      const parts = [this.moreHtml(from)];
      for (let j = from; j < upto; j++) parts.push(this.lineHtml(index[j], j === upto - 1));
      list.innerHTML = parts.join("");
      this.timelineShown = { view: this.view, from, upto };
    }
    list.scrollTop = list.scrollHeight;
    document.getElementById("timeline-count").textContent =
      `${upto.toLocaleString("en-GB")} of ${index.length.toLocaleString("en-GB")} lines` +
      (this.pv.truth ? " (ground truth)" : ` seen by ${this.view}`);
    if (!this.timelineBound) {
      this.timelineBound = true;
      list.addEventListener("click", (ev) => {
        if (ev.target.closest("a.item")) { this.onItemClick(ev); return; }
        if (ev.target.closest("li.more button")) { this.showEarlier(); return; }
        const li = ev.target.closest("li[data-line]");
        if (li) this.seek(this.lines.tick[Number(li.dataset.line)]);
      });
      list.addEventListener("scroll", () => { if (list.scrollTop === 0) this.showEarlier(); });
    }
  }

  moreHtml(from) {
    if (from <= 0) return "";
    const n = Math.min(from, TIMELINE_MORE);
    return `<li class="more">${from.toLocaleString("en-GB")} earlier lines ` +
      `<button type="button">show ${n.toLocaleString("en-GB")} more</button></li>`;
  }

  /* Put up to TIMELINE_MORE earlier lines above those shown, keeping the view still. */
  showEarlier() {
    const shown = this.timelineShown;
    if (!shown || shown.from <= 0) return;
    const list = document.getElementById("timeline");
    const { index } = this.pv.lines;
    const from = Math.max(0, shown.from - TIMELINE_MORE);
    const parts = [this.moreHtml(from)];
    for (let j = from; j < shown.from; j++) parts.push(this.lineHtml(index[j], false));
    const before = list.scrollHeight;
    const more = list.querySelector("li.more");
    if (more) more.remove();
    list.insertAdjacentHTML("afterbegin", parts.join(""));
    list.scrollTop += list.scrollHeight - before;
    shown.from = from;
  }

  /* ---------------------------------------------------------------- map */

  buildMap() {
    const nations = this.data.network.nations;
    const order = [...new Set(this.nodes.map((n) => n.nation))];
    const groups = order.map((code, i) => ({
      id: `nation:${code}`,
      label: nations[code] && nations[code] !== code ? `${nations[code]} (${code})` : code,
      tint: Report.palette[i % Report.palette.length],
      members: this.nodes.filter((n) => n.nation === code).map((n) => n.name),
    }));
    const nodes = this.nodes.map((node) => ({
      id: node.name, x: node.x, y: node.y, w: 176, h: 70, label: node.name, labelDy: -19,
      cls: node.fusion ? "fusion" : "",
    }));
    const edges = this.links.map((link) => ({
      id: link.name, source: link.from, target: link.to, label: link.ceiling.replace(/-/g, " "),
    }));
    this.cy = new Report.Graph(document.getElementById("map"), {
      className: "map-graph",
      onTap: (kind, id) => this.select(kind === "node" ? "node" : "link", id),
      onView: () => this.drawOverlay(),
    });
    this.cy.set(nodes, edges, groups);
    this.renderLegend();
  }

  renderLegend() {
    document.getElementById("legend").innerHTML =
      `<span><i class="swatch" style="background:#555"></i>link up</span>` +
      `<span><i class="swatch" style="background:#c62828"></i>down</span>` +
      (this.pv.truth ? `<span><i class="swatch" style="background:#7b1fa2"></i>compromised</span>` : "") +
      `<span><i class="swatch" style="background:#0072B2"></i>node busy</span>` +
      `<span><i class="swatch" style="background:#D55E00"></i>reports queued</span>` +
      `<span><i class="dot" style="background:${KIND_COLOURS.report}"></i>report</span>` +
      `<span><i class="dot" style="background:${KIND_COLOURS.assessment}"></i>assessment</span>` +
      `<span><i class="dot" style="background:#e08a00;border-radius:0"></i>held</span>` +
      `<span style="color:#c62828;font-weight:bold">✕ dropped</span>`;
  }

  /* Classes and link labels change on the map itself (only when they change: restyling
   * costs); a node's figures are drawn on the overlay. */
  renderMap() {
    const state = this.model.state;
    const nodes = this.pv.nodeSet;
    const links = this.pv.linkSet;
    const was = this.mapShown || (this.mapShown = new Map());
    const set = (id, key, value) => {
      if (was.get(id + key) === value) return;
      was.set(id + key, value);
      if (key === "label") this.cy.setLabel(id, value); else this.cy.setClass(id, key, value);
    };
    this.nodeFigures = new Map();
    {
      for (const meta of this.nodes) {
        const n = state.nodes[meta.name];
        const seen = nodes.has(meta.name);
        const known = Object.keys(n.assessments_issued).length + Object.keys(n.assessments_received).length;
        this.nodeFigures.set(meta.name, {
          lines: seen
            ? [`queue ${n.queue.length} · busy ${n.busy.length}/${n.analysts}`, `${known} assessment${known === 1 ? "" : "s"}`]
            : ["(not seen)"],
          // drawn on the overlay, not as map styles: restyling the map at every step costs
          ring: !seen ? null : n.queue.length > 0 ? "#D55E00" : n.busy.length > 0 ? "#0072B2" : null,
        });
        set(meta.name, "dim", !seen);
      }
      for (const meta of this.links) {
        const link = this.pv.linkFields(state.links[meta.name]);
        const seen = links.has(meta.name);
        set(meta.name, "dim", !seen);
        set(meta.name, "down", seen && link.enabled && !link.up);
        set(meta.name, "closed", seen && !link.enabled);
        set(meta.name, "compromised", seen && link.compromised !== undefined && link.compromised.length > 0);
        const ceiling = meta.ceiling.replace(/-/g, " ");
        set(meta.name, "label", seen && !link.up ? `${ceiling} — ${link.enabled ? "DOWN" : "CLOSED"}` : ceiling);
      }
    }
    this.drawOverlay();
  }

  drawOverlay() {
    if (!this.cy || (this.tab && this.tab !== "map")) return;
    const canvas = document.getElementById("overlay");
    const width = canvas.clientWidth, height = canvas.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const zoom = this.cy.zoom();
    if (this.nodeFigures) {
      ctx.textAlign = "center";
      ctx.font = `${Math.max(10, 14 * zoom)}px DejaVu Sans, Arial, sans-serif`;
      for (const [name, { lines, ring }] of this.nodeFigures) {
        const p = this.cy.nodeRect(name);
        if (ring) {
          const { w, h } = p;
          ctx.strokeStyle = ring;
          ctx.lineWidth = Math.max(2, 4 * zoom);
          ctx.strokeRect(p.x - w / 2, p.y - h / 2, w, h);
        }
        ctx.fillStyle = lines.length === 1 ? "#999" : "#111";
        lines.forEach((line, k) => ctx.fillText(line, p.x, p.y + (5 + 17 * k) * zoom));
      }
      ctx.textAlign = "start";
    }
    const links = this.pv.linkSet;
    const trips = this.trips;
    const radius = Math.max(4, 8 * zoom);
    const heldAt = new Map();
    for (const i of trips.inFlight(this.tick)) {
      const name = this.links[trips.link[i]].name;
      if (!links.has(name) || !this.pv.seen(trips.seenSent[i])) continue;
      const edge = name;
      const held = this.tick < trips.departs[i];
      if (held) {
        const k = heldAt.get(name) || 0;
        heldAt.set(name, k + 1);
        const p = this.cy.along(edge, 0.06);
        ctx.fillStyle = "#e08a00";
        ctx.fillRect(p.x - radius + (k % 6) * radius * 1.1, p.y - radius - Math.floor(k / 6) * radius * 1.1, radius * 1.5, radius * 1.5);
        continue;
      }
      const end = Number.isFinite(trips.ends[i]) ? trips.ends[i] : this.end;
      const s = end > trips.departs[i] ? (this.tick - trips.departs[i]) / (end - trips.departs[i]) : 0;
      const p = this.cy.along(edge, Math.min(1, Math.max(0, s)));
      ctx.beginPath();
      ctx.arc(p.x, p.y, radius, 0, 2 * Math.PI);
      ctx.fillStyle = KIND_COLOURS[trips.kinds[trips.kind[i]]] || "#333";
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
    const recent = Math.max(12 * this.tph, this.end / 120);
    ctx.font = `bold ${Math.max(11, Math.round(14 * Math.min(zoom * 1.2, 1.2)))}px DejaVu Sans, Arial, sans-serif`;
    for (const i of trips.recentDrops(this.tick, recent)) {
      const name = this.links[trips.link[i]].name;
      if (!links.has(name) || !this.pv.seen(trips.seenEnd[i])) continue;
      const age = (this.tick - trips.ends[i]) / recent;
      const p = this.cy.along(name, 0.22);
      ctx.globalAlpha = Math.max(0.25, 1 - age);
      ctx.strokeStyle = "#c62828";
      ctx.lineWidth = 4;
      const r = radius * 1.4;
      ctx.beginPath();
      ctx.moveTo(p.x - r, p.y - r); ctx.lineTo(p.x + r, p.y + r);
      ctx.moveTo(p.x + r, p.y - r); ctx.lineTo(p.x - r, p.y + r);
      ctx.stroke();
      const label = `dropped: ${trips.reasons[trips.reason[i]]}`;
      const w = ctx.measureText(label).width;
      const lx = p.x - w / 2, ly = p.y + r + 20; // below the link: nodes sit above its ends
      ctx.fillStyle = "rgba(255,255,255,0.92)";
      ctx.fillRect(lx - 3, ly - 15, w + 6, 20);
      ctx.fillStyle = "#c62828";
      ctx.fillText(label, lx, ly);
      ctx.globalAlpha = 1;
    }
  }

  /* ---------------------------------------------------------------- provenance */

  buildProvenanceSelect() {
    const select = document.getElementById("assessment");
    this.fillAssessments();
    select.addEventListener("change", () => { if (select.value) this.openAssessment(select.value); });
    document.getElementById("prov-lines").addEventListener("click", (ev) => this.onItemClick(ev));
  }

  /* The assessments this perspective can open: all (ground truth), or those the node
   * issued or received. */
  fillAssessments() {
    const select = document.getElementById("assessment");
    select.innerHTML = "";
    select.append(Report.el("option", { value: "", text: "choose an assessment" }));
    for (const id of this.pv.assessments) select.append(Report.el("option", { value: id, text: id }));
    select.value = this.pv.assessments.has(this.provenanceShown) ? this.provenanceShown : "";
  }

  openAssessment(id) {
    this.showProvenance(id);
    this.showTab("provenance");
  }

  /* A deferred part of the data, parsed the first time it is asked for; undefined while
   * it is still being inflated (see `whenPart`). */
  part(name) {
    if (!(name in this.parts)) {
      if (!(name in this.texts)) return undefined;
      this.parts[name] = JSON.parse(this.texts[name]);
      delete this.texts[name];
    }
    return this.parts[name];
  }

  /* A promise of every deferred part inflated. */
  whenParts() {
    return Promise.all(Object.values(this.deferred));
  }

  /* The provenance tables (sim/report/html/provenance.py), decoded when first needed:
   * every distinct line's text, and per view each assessment's line numbers. */
  provenance() {
    if (this.provenanceTables) return this.provenanceTables;
    const p = this.part("provenance");
    if (!p) return undefined;
    const texts = Report.texts(p.texts);
    const table = new Array(p.how.length);
    let text = 0, ref = 0, line = 0;
    for (let i = 0; i < p.how.length; i++) {
      const how = p.how[i];
      if (how === 0) { table[i] = texts[text++]; continue; }
      line += p.line[ref++];
      const depth = (how - 1) >> 1, truth = (how - 1) & 1;
      table[i] = "    ".repeat(depth) + this.lines.when(line) + "  " + this.lines.textOf(line, truth === 1);
    }
    const byId = (ids, items) => {
      const out = new Map();
      let end = 0;
      items.forEach(([runs, nodes, edges], k) => {
        const lines = [];
        for (let r = 0; r < runs.length; r += 2) {
          const start = end + runs[r];
          end = start + runs[r + 1];
          for (let ix = start; ix < end; ix++) lines.push(table[ix]);
        }
        out.set(ids[k], { lines, nodes: nodes.map((i) => p.nodes[i]), edges: edges.map((i) => p.edges[i]) });
      });
      return out;
    };
    const ids = this.data.assessments;
    this.provenanceTables = {
      items: byId(ids.items, p.items),
      as: new Map(Object.entries(p.as).map(([node, items]) => [node, byId(ids.as[node], items)])),
    };
    return this.provenanceTables;
  }

  /* The provenance of assessment `id` as perspective `pv` tells it: explain's lines, and
   * the graph's boxes and arrows (nothing of one it never saw). */
  provenanceOf(pv, id) {
    if (!pv.assessments.has(id)) return undefined;
    const tables = this.provenance();
    if (!tables) return null; // not inflated yet
    return (pv.truth ? tables.items : tables.as.get(pv.name) || new Map()).get(id);
  }

  /* The provenance of `id` as this perspective knows it (nothing of one it never saw). */
  showProvenance(id) {
    const item = id ? this.provenanceOf(this.pv, id) : undefined;
    const list = document.getElementById("prov-lines");
    if (item === null) { // still inflating (a click or an address in the first moments)
      this.provenanceShown = id;
      document.getElementById("assessment").value = id;
      list.innerHTML = `<li class="head loading">${Report.escape(id)}: reading the provenance…</li>`;
      if (this.provCy) this.provCy.set([], []);
      this.whenParts().then(() => { if (this.provenanceShown === id) this.showProvenance(id); });
      return;
    }
    document.getElementById("assessment").value = item ? id : "";
    this.provenanceShown = item ? id : null;
    if (!item) {
      const why = this.pv.truth ? "no such assessment in this run" : `${this.view} neither issued nor received it`;
      list.innerHTML = id ? `<li class="head">${Report.escape(id)}: ${Report.escape(why)}</li>` : "";
      if (this.provCy) this.provCy.set([], []);
      return;
    }
    list.innerHTML = item.lines.map((text, k) => {
      return `<li class="${k === 0 ? "head" : ""}">${this.linkify(Report.escape(text))}</li>`;
    }).join("");
    this.drawProvenanceGraph(item);
  }

  drawProvenanceGraph(item) {
    const kinds = {
      usage: "#6b8e23", fabrication: "#c62828", report: "#0072B2", contradiction: "#D55E00", node: "#333333",
      assessment: "#1b6b2f", receiver: "#009E73",
    };
    // layers left to right; a tall layer wraps into sub-columns of at most ROWS boxes
    const ROWS = 9, COLUMN = 300, SUB = 240, ROW = 44;
    const byLayer = new Map();
    for (const node of item.nodes) {
      if (!byLayer.has(node[3])) byLayer.set(node[3], []);
      byLayer.get(node[3]).push(node);
    }
    const nodes = [];
    let x = 0, lastHeader = "";
    for (const layer of [...byLayer.keys()].sort((a, b) => a - b)) {
      const members = byLayer.get(layer);
      const subs = Math.ceil(members.length / ROWS);
      const rows = Math.min(members.length, ROWS);
      const layerKinds = [...new Set(members.map((m) => m[1]))];
      let kindsHere = layerKinds.map((k) => LAYER_WORDS[k] || k).join(" and ");
      if (layerKinds.every((k) => TRUTH_KINDS.has(k))) kindsHere += " (ground truth)";
      const repeated = kindsHere === lastHeader;
      lastHeader = kindsHere;
      if (!repeated) nodes.push({
        id: `header:${layer}`, label: kindsHere, w: 10, h: 30, cls: "header",
        x: x + ((subs - 1) * SUB) / 2, y: -((rows - 1) * ROW) / 2 - 44,
      });
      members.forEach(([id, kind, label], k) => {
        const sub = Math.floor(k / ROWS), row = k % ROWS;
        nodes.push({
          id, label, colour: kinds[kind] || "#555", cls: `k-${kind}`, w: 16 + 8.2 * label.length, h: 30,
          x: x + sub * SUB, y: row * ROW - ((rows - 1) * ROW) / 2,
        });
      });
      x += (subs - 1) * SUB + COLUMN;
    }
    const edges = item.edges.map(([source, target, label, count], i) =>
      ({ id: `e${i}`, source, target, label: count > 1 ? `${label} ×${count}` : label, arrow: 9, labelDy: -4 }));
    if (!this.provCy) {
      this.provCy = new Report.Graph(document.getElementById("prov-graph"), { className: "prov", bend: 30 });
    }
    this.provCy.set(nodes, edges);
    this.provCy.fit(20);
  }

  /* ---------------------------------------------------------------- metrics */

  xValues() {
    if (!this.xs) {
      this.xs = this.data.samples.map((t) => (this.startMs + (t / this.tph) * 3600e3) / 1000);
    }
    return this.xs;
  }

  nodeMetricFields() {
    const fields = new Map();
    this.pv.metrics.keys.forEach((key, i) => {
      for (const node of this.nodes) {
        const prefix = `nodes.${node.name}.`;
        if (key.startsWith(prefix)) {
          const field = key.slice(prefix.length);
          if (!fields.has(field)) fields.set(field, {});
          fields.get(field)[node.name] = this.pv.metrics.values[i];
        }
      }
    });
    return fields;
  }

  buildCharts() {
    if (this.charts) return;
    this.charts = [];
    const note = document.getElementById("metrics-note");
    note.hidden = this.pv.truth;
    note.textContent = this.pv.truth ? "" : `The run's metrics are measured against what really happened, ` +
      `which ${this.view} could not know: they are shown in the full view only. Below, the states ` +
      `of ${this.view} and of its links.`;
    document.getElementById("outage-key").textContent = this.pv.truth
      ? "(red: down; purple: compromised, ground truth)" : `(red: down; the links of ${this.view})`;
    const fields = this.nodeMetricFields();
    // time to knowledge first, whatever the metrics projection calls it today
    const preferred = [/knowledge.*median/, /knowledge/, /^usage_to_assessment_h\.median$/, /coverage/];
    this.chartSelect("node-metric", [...fields.keys()], preferred, (field) =>
      this.lineChart("chart-node-metric", fields.get(field), Report.unitOf(field)));
    const nodeSizes = this.pv.sizes.nodes;
    this.chartSelect("node-size", Object.keys(nodeSizes), ["queue"], (field) =>
      this.lineChart("chart-node-size", nodeSizes[field], "peak in each interval", true));
    const linkSizes = this.pv.sizes.links;
    this.chartSelect("link-size", Object.keys(linkSizes), ["in_flight"], (field) =>
      this.lineChart("chart-link-size", linkSizes[field], "peak in each interval", true));
    this.outageChart();
  }

  chartSelect(id, options, preferred, draw) {
    const select = document.getElementById(id);
    select.innerHTML = "";
    for (const option of options) select.append(Report.el("option", { value: option, text: Report.metricName(option) }));
    let first = options[0];
    for (const want of preferred) {
      const found = options.find((o) => (want instanceof RegExp ? want.test(o) : o === want));
      if (found !== undefined) { first = found; break; }
    }
    select.closest("figure").hidden = first === undefined;
    if (first === undefined) return;
    select.value = first;
    select.onchange = () => draw(select.value);
    draw(first);
  }

  lineChart(id, seriesByName, label, stepped) {
    const box = document.getElementById(id);
    box.innerHTML = "";
    const names = Object.keys(seriesByName || {}).filter((n) => (seriesByName[n] || []).some((v) => v !== null));
    const width = Math.max(320, box.clientWidth || 600);
    const series = [{}];
    names.forEach((name, i) => {
      series.push({
        label: name, stroke: Report.palette[i % Report.palette.length], width: 2,
        paths: stepped ? Report.library("uPlot").paths.stepped({ align: 1 }) : undefined, spanGaps: false,
      });
    });
    const Plot = Report.library("uPlot");
    const plot = new Plot({
      width, height: 260, series, legend: { show: true, live: false },
      axes: [{}, { label, labelSize: 18, size: 60 }],
      scales: { x: { time: true } },
      cursor: { drag: { x: false, y: false } },
    }, [this.xValues(), ...names.map((n) => seriesByName[n])], box);
    const line = Report.el("div", { class: "cursor-line" });
    plot.over.append(line);
    plot.over.addEventListener("click", (ev) => {
      const x = plot.posToVal(ev.offsetX, "x");
      this.seek(((x * 1000 - this.startMs) / 3600e3) * this.tph);
    });
    this.charts = this.charts.filter((c) => c.id !== id);
    this.charts.push({ id, plot, line });
    this.renderChartCursors();
  }

  outageChart() {
    const box = document.getElementById("chart-outages");
    const links = this.links;
    const rowH = 22, left = 210, width = Math.max(400, box.clientWidth || 600);
    const height = links.length * rowH + 24;
    const x = (tick) => left + (Math.min(tick, this.end) / this.end) * (width - left - 10);
    const parts = [`<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="link outages">`];
    links.forEach((link, i) => {
      parts.push(`<text x="4" y="${i * rowH + 15}" font-size="13">${Report.escape(link.name)}</text>`);
      parts.push(`<line x1="${left}" x2="${width - 10}" y1="${i * rowH + 11}" y2="${i * rowH + 11}" stroke="#ccc"/>`);
    });
    const bars = (intervals, colour, offset) => {
      for (const [ix, from, to, causes] of intervals) {
        const end = to < 0 ? this.end : to;
        const w = Math.max(2, x(end) - x(from));
        parts.push(`<rect x="${x(from)}" y="${ix * rowH + offset}" width="${w}" height="9" fill="${colour}">` +
          `<title>${Report.escape(links[ix].name)}: ${Report.escape((causes || []).join(", "))}</title></rect>`);
      }
    };
    bars(this.pv.outages.down, "#c62828", 3);
    bars(this.pv.outages.compromised, "#7b1fa2", 12);
    for (let d = 0; d <= this.hours(this.end) / 24; d += Math.max(1, Math.round(this.hours(this.end) / 24 / 10))) {
      const tx = x(d * 24 * this.tph);
      parts.push(`<text x="${tx}" y="${height - 4}" font-size="11" text-anchor="middle">d${d}</text>`);
    }
    parts.push(`<line id="outage-cursor" x1="0" x2="0" y1="0" y2="${height - 16}" stroke="#111" stroke-width="2" opacity="0.6"/>`);
    parts.push("</svg>");
    box.innerHTML = parts.join("");
    this.outageX = x;
    box.querySelector("svg").addEventListener("click", (ev) => {
      const rect = ev.currentTarget.getBoundingClientRect();
      const px = ((ev.clientX - rect.left) / rect.width) * width;
      this.seek(((px - left) / (width - left - 10)) * this.end);
    });
  }

  renderChartCursors() {
    if (!this.charts) return;
    const xs = (this.startMs + (this.tick / this.tph) * 3600e3) / 1000;
    for (const { plot, line } of this.charts) {
      line.style.left = `${plot.valToPos(xs, "x")}px`;
    }
    const cursor = document.getElementById("outage-cursor");
    if (cursor && this.outageX) {
      cursor.setAttribute("x1", this.outageX(this.tick));
      cursor.setAttribute("x2", this.outageX(this.tick));
    }
  }

  resizeCharts() {
    if (!this.charts || this.tab !== "metrics") return;
    for (const { id, plot } of this.charts) {
      const box = document.getElementById(id);
      plot.setSize({ width: Math.max(320, box.clientWidth), height: 260 });
    }
    this.outageChart();
    this.renderChartCursors();
  }

  renderRunMetrics() {
    document.getElementById("run-metrics").hidden = !this.pv.truth;
    const body = document.querySelector("#run-metrics tbody");
    const k = Math.max(0, Report.countAtMost(this.data.samples, this.tick) - 1);
    const rows = [];
    this.pv.metrics.keys.forEach((key, i) => {
      if (key.startsWith("nodes.") || key.startsWith("links.")) return;
      rows.push(`<tr><td>${Report.escape(key.replace(/^run\./, ""))}</td><td class="num">${Report.number(this.pv.metrics.values[i][k])}</td></tr>`);
    });
    const when = Report.minuteText(Math.floor((this.startMs / 1000 + (this.data.samples[k] / this.tph) * 3600) / 60));
    rows.unshift(`<tr><td><i>as of</i></td><td class="num">${when}</td></tr>`);
    body.innerHTML = rows.join("");
  }

  /* ---------------------------------------------------------------- glossary */

  buildGlossary() {
    const g = this.data.glossary;
    const e = Report.escape;
    const dl = (entries) => `<dl>${Object.entries(entries).map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join("")}</dl>`;
    const parts = [];
    const a = g.admiralty;
    parts.push(`<section><h2>${e(a.title)}</h2><p>${e(a.text)}</p><h3>Source reliability</h3>${dl(a.reliability)}` +
      `<h3>Information credibility</h3>${dl(a.credibility)}</section>`);
    const p = g.phia;
    parts.push(`<section><h2>${e(p.title)}</h2><p>${e(p.text)}</p><dl>${p.bands.map((b) =>
      `<dt>${e(b.name)}</dt><dd>${Math.round(b.from * 100)}–${Math.round(b.to * 100)} %</dd>`).join("")}</dl></section>`);
    const c = g.classification;
    parts.push(`<section><h2>${e(c.title)}</h2><p>${e(c.text)}</p><ol class="ladder">${(c.ladder || []).map((x) =>
      `<li>${e(x.replace(/-/g, " "))}</li>`).join("")}</ol></section>`);
    const r = g.rel_to;
    parts.push(`<section><h2>${e(r.title)}</h2><p>${e(r.text)}</p>${r.communities ? dl(Object.fromEntries(
      Object.entries(r.communities).map(([k, v]) => [k, v.join(", ")]))) : ""}</section>`);
    const bodies = Object.fromEntries(Object.entries(g.bodies.entries).map(([k, v]) => [k, `${v.name} (${v.text})`]));
    parts.push(`<section><h2>${e(g.bodies.title)}</h2>${dl(bodies)}</section>`);
    if (g.nations) parts.push(`<section><h2>Nations in this run</h2>${dl(g.nations)}</section>`);
    parts.push(`<section><h2>${e(g.terms.title)}</h2>${dl(g.terms.entries)}</section>`);
    document.getElementById("glossary").innerHTML = parts.join("");
  }

  /* ---------------------------------------------------------------- for tests and benchmarks */

  api() {
    return {
      ready: false,
      seekHours: (h) => this.seek(Math.round(h * this.tph)),
      setView: (v) => this.setView(v),
      showTab: (t) => this.showTab(t),
      openAssessment: (id) => this.openAssessment(id),
      provenanceGraph: () => (this.provCy ? this.provCy.ids() : []),
      // every word the graphs draw (canvas text is not in the page's text)
      graphText: () => [this.cy, this.provCy].filter(Boolean).flatMap((graph) => graph.texts()),
      view: () => this.view,
      state: () => this.model.state,
      timings: this.timings,
      // the cost of each part of a frame at the time shown (for bench/bench_report.py)
      profile: (repeats) => {
        const parts = { overlay: () => this.drawOverlay(), map: () => this.renderMap(), tables: () => this.renderTables(),
          timeline: () => { this.timelineShown = null; this.renderTimeline(); } };
        const out = {};
        for (const [name, run] of Object.entries(parts)) {
          const started = performance.now();
          for (let i = 0; i < repeats; i++) { run(); document.body.offsetHeight; }
          out[name] = (performance.now() - started) / repeats;
        }
        return out;
      },
      end: () => this.end / this.tph,
    };
  }
}

(async function main() {
  try {
    const loading = performance.now();
    const data = await Report.data;
    const loaded = performance.now();
    const report = new RunReport(data, Report.deferred);
    report.tab = "map";
    report.start();
    report.timings.data = loaded - loading;
    report.timings.model = performance.now() - loaded - report.timings.firstRender;
    window.intelsim = report.api();
    await report.whenParts();
    window.intelsim.ready = true; // everything inflated: any panel opens at once
  } catch (error) {
    Report.fatal(error);
  }
})();
