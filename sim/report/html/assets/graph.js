/* intelsim report: a graph drawn in SVG at given positions (the map, the provenance).
 *
 * Every box has its place already (Python places the map's nodes; the provenance graph
 * is laid out in layers): this draws boxes, groups of boxes, and arrows between them
 * (two arrows between the same boxes bend apart), keeps them fitted to the container,
 * lets the user zoom (wheel) and pan (drag), and tells where a box or a point along an
 * arrow is on screen, for the canvas drawn over it. A few kilobytes instead of a graph
 * library: the page starts in a fraction of the time.
 */
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

Report.Graph = class Graph {
  /* `onTap(kind, id)` on a click of a box ("node") or arrow ("edge"); `onView()` after
   * the view moved (zoom, pan, fit). `options.bend`: distance between parallel arrows. */
  constructor(container, options = {}) {
    this.container = container;
    this.onTap = options.onTap || (() => {});
    this.onView = options.onView || (() => {});
    this.bend = options.bend || 60;
    this.minZoom = options.minZoom || 0.2;
    this.maxZoom = options.maxZoom || 3;
    this.svg = document.createElementNS(SVG_NS, "svg");
    this.svg.setAttribute("class", `graph ${options.className || ""}`);
    this.layer = this.svgEl("g", {}, this.svg);
    container.append(this.svg);
    this.k = 1; this.tx = 0; this.ty = 0;
    this.clear();
    this.bindPointer();
  }

  svgEl(tag, attrs, parent) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (parent) parent.append(node);
    return node;
  }

  clear() {
    this.layer.replaceChildren();
    this.groupLayer = this.svgEl("g", {}, this.layer);
    this.edgeLayer = this.svgEl("g", {}, this.layer);
    this.nodeLayer = this.svgEl("g", {}, this.layer);
    this.nodes = new Map(); // id -> {x, y, w, h, label, el}
    this.edges = new Map(); // id -> {source, target, label, el, p0, c, p1}
    this.groups = [];
  }

  /* Draw `nodes` ({id, x, y, w, h, label, cls, colour, labelDy}), `edges` ({id, source,
   * target, label, cls}) and `groups` ({id, label, tint, members}), replacing any. */
  set(nodes, edges, groups = []) {
    this.clear();
    for (const n of nodes) {
      const el = this.svgEl("g", { class: `g-node ${n.cls || ""}`, "data-id": n.id, transform: `translate(${n.x},${n.y})` }, this.nodeLayer);
      const box = { x: -n.w / 2, y: -n.h / 2, width: n.w, height: n.h, rx: 8 };
      this.svgEl("rect", { ...box, class: "box", ...(n.colour ? { style: `stroke:${n.colour}` } : {}) }, el);
      if ((n.cls || "").includes("fusion")) {
        this.svgEl("rect", { x: box.x + 5, y: box.y + 5, width: n.w - 10, height: n.h - 10, rx: 5, class: "inner" }, el);
      }
      const text = this.svgEl("text", { class: "label", y: n.labelDy || 0 }, el);
      text.textContent = n.label;
      this.nodes.set(n.id, { ...n, el, text });
    }
    for (const g of groups) {
      const members = g.members.map((id) => this.nodes.get(id)).filter(Boolean);
      if (!members.length) continue;
      const pad = 16;
      const x0 = Math.min(...members.map((m) => m.x - m.w / 2)) - pad;
      const x1 = Math.max(...members.map((m) => m.x + m.w / 2)) + pad;
      const y0 = Math.min(...members.map((m) => m.y - m.h / 2)) - pad;
      const y1 = Math.max(...members.map((m) => m.y + m.h / 2)) + pad;
      const el = this.svgEl("g", { class: "g-group", "data-id": g.id }, this.groupLayer);
      this.svgEl("rect", { x: x0, y: y0, width: x1 - x0, height: y1 - y0, rx: 10, style: `fill:${g.tint};stroke:${g.tint}` }, el);
      const text = this.svgEl("text", { x: (x0 + x1) / 2, y: y0 - 8, class: "label" }, el);
      text.textContent = g.label;
      this.groups.push({ ...g, el, box: [x0, y0, x1, y1] });
    }
    const pairs = new Map();
    for (const e of edges) {
      const key = [e.source, e.target].sort().join("\u0000");
      if (!pairs.has(key)) pairs.set(key, []);
      pairs.get(key).push(e);
    }
    for (const list of pairs.values()) {
      list.forEach((e, i) => this.addEdge(e, (i - (list.length - 1) / 2) * this.bend));
    }
  }

  addEdge(e, offset) {
    const a = this.nodes.get(e.source), b = this.nodes.get(e.target);
    if (!a || !b) return;
    // bend to one side of the line from the lesser id to the greater (so A->B and B->A part)
    const flip = e.source < e.target ? 1 : -1;
    const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
    const nx = (-dy / len) * flip, ny = (dx / len) * flip;
    const c = { x: (a.x + b.x) / 2 + nx * offset * 2, y: (a.y + b.y) / 2 + ny * offset * 2 };
    const p0 = this.border(a, c), p1 = this.border(b, c);
    const el = this.svgEl("g", { class: `g-edge ${e.cls || ""}`, "data-id": e.id }, this.edgeLayer);
    const d = `M${p0.x},${p0.y} Q${c.x},${c.y} ${p1.x},${p1.y}`;
    this.svgEl("path", { d, class: "halo" }, el);
    this.svgEl("path", { d, class: "line" }, el);
    // the arrowhead, along the curve's tangent at its end
    const tx = p1.x - c.x, ty = p1.y - c.y, tl = Math.hypot(tx, ty) || 1;
    const ux = tx / tl, uy = ty / tl, size = e.arrow || 13;
    const head = [[p1.x, p1.y], [p1.x - ux * size - uy * size * 0.55, p1.y - uy * size + ux * size * 0.55],
      [p1.x - ux * size + uy * size * 0.55, p1.y - uy * size - ux * size * 0.55]];
    this.svgEl("path", { d: `M${head.map((p) => p.join(",")).join("L")}Z`, class: "head" }, el);
    const mid = this.point(p0, c, p1, 0.5);
    let angle = (Math.atan2(p1.y - p0.y, p1.x - p0.x) * 180) / Math.PI;
    if (angle > 90) angle -= 180;
    if (angle < -90) angle += 180;
    const text = this.svgEl("text", { class: "label", transform: `translate(${mid.x},${mid.y}) rotate(${angle})`, dy: e.labelDy || -9 }, el);
    text.textContent = e.label || "";
    this.edges.set(e.id, { ...e, el, text, p0, c, p1 });
  }

  /* Where the line from box `n`'s centre towards `to` leaves the box. */
  border(n, to) {
    const dx = to.x - n.x, dy = to.y - n.y;
    if (!dx && !dy) return { x: n.x, y: n.y };
    const t = Math.min(dx ? n.w / 2 / Math.abs(dx) : Infinity, dy ? n.h / 2 / Math.abs(dy) : Infinity);
    return { x: n.x + dx * t, y: n.y + dy * t };
  }

  point(p0, c, p1, s) {
    return {
      x: (1 - s) * (1 - s) * p0.x + 2 * (1 - s) * s * c.x + s * s * p1.x,
      y: (1 - s) * (1 - s) * p0.y + 2 * (1 - s) * s * c.y + s * s * p1.y,
    };
  }

  setClass(id, cls, on) {
    const item = this.nodes.get(id) || this.edges.get(id);
    if (item) item.el.classList.toggle(cls, on);
  }

  setLabel(id, label) {
    const item = this.nodes.get(id) || this.edges.get(id);
    if (item) { item.label = label; item.text.textContent = label; }
  }

  select(id) {
    for (const el of this.layer.querySelectorAll(".selected")) el.classList.remove("selected");
    if (id !== null && id !== undefined) this.setClass(id, "selected", true);
  }

  /* Fit everything in the container, `padding` pixels from its edges. */
  fit(padding = 30) {
    const boxes = [...this.nodes.values()].map((n) => [n.x - n.w / 2, n.y - n.h / 2, n.x + n.w / 2, n.y + n.h / 2]);
    for (const g of this.groups) boxes.push([g.box[0], g.box[1] - 24, g.box[2], g.box[3]]);
    const width = this.container.clientWidth, height = this.container.clientHeight;
    if (!boxes.length || !width || !height) return;
    const x0 = Math.min(...boxes.map((b) => b[0])), y0 = Math.min(...boxes.map((b) => b[1]));
    const x1 = Math.max(...boxes.map((b) => b[2])), y1 = Math.max(...boxes.map((b) => b[3]));
    const k = Math.min((width - 2 * padding) / (x1 - x0 || 1), (height - 2 * padding) / (y1 - y0 || 1));
    this.k = Math.max(this.minZoom, Math.min(this.maxZoom, k));
    this.tx = (width - (x1 - x0) * this.k) / 2 - x0 * this.k;
    this.ty = (height - (y1 - y0) * this.k) / 2 - y0 * this.k;
    this.applyView();
  }

  applyView() {
    this.layer.setAttribute("transform", `translate(${this.tx},${this.ty}) scale(${this.k})`);
    this.onView();
  }

  zoom() { return this.k; }

  /* A point of the drawing in pixels of the container. */
  toScreen(p) { return { x: p.x * this.k + this.tx, y: p.y * this.k + this.ty }; }

  /* Box `id` on screen: centre and size in pixels (undefined if there is none). */
  nodeRect(id) {
    const n = this.nodes.get(id);
    return n && { ...this.toScreen(n), w: n.w * this.k, h: n.h * this.k };
  }

  /* A point `s` (0..1) along arrow `id` as drawn, in pixels of the container. */
  along(id, s) {
    const e = this.edges.get(id);
    return e && this.toScreen(this.point(e.p0, e.c, e.p1, s));
  }

  ids() { return [...this.nodes.keys()]; }

  /* Every word drawn: ids and labels of boxes, groups and arrows. */
  texts() {
    return [...this.groups, ...this.nodes.values(), ...this.edges.values()].map((x) => `${x.id} ${x.label || ""}`);
  }

  bindPointer() {
    let drag = null;
    this.svg.addEventListener("pointerdown", (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, tx: this.tx, ty: this.ty, moved: false };
    });
    this.svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) this.svg.setPointerCapture(ev.pointerId);
      drag.moved = true;
      this.tx = drag.tx + dx; this.ty = drag.ty + dy;
      this.applyView();
    });
    this.svg.addEventListener("pointerup", (ev) => {
      const was = drag;
      drag = null;
      if (!was || was.moved) return;
      const hit = ev.target.closest("[data-id]");
      if (!hit) return;
      const id = hit.getAttribute("data-id");
      if (this.nodes.has(id)) this.onTap("node", id);
      else if (this.edges.has(id)) this.onTap("edge", id);
    });
    this.svg.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const rect = this.svg.getBoundingClientRect();
      const px = ev.clientX - rect.left, py = ev.clientY - rect.top;
      const k = Math.max(this.minZoom, Math.min(this.maxZoom, this.k * Math.exp(-ev.deltaY * 0.0015)));
      this.tx = px - ((px - this.tx) * k) / this.k;
      this.ty = py - ((py - this.ty) * k) / this.k;
      this.k = k;
      this.applyView();
    }, { passive: false });
  }
};
