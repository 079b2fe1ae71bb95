/* intelsim report of a what-if analysis: facts, interval charts, tables, the command's plots.
 *
 * Generic over the tables: any table with ci_low and ci_high columns gets a chart of its
 * estimate (diff or mean) with the 95% interval, against the manifest's factors where
 * there are some (a sweep), else as one row per metric (a comparison).
 */
"use strict";

const STAT_ROWS = 12; // forest rows shown before filtering
const SHOWN_ROWS = 300; // table rows in the page at once (the filter narrows; the CSV has all)

/* Every estimate with its interval: [estimate, low, high] column names. A table may have
 * `diff`/`mean` with `ci_low`/`ci_high`, or any X with `X_ci_low`/`X_ci_high` (S1, ST, ...). */
function intervals(table) {
  const cols = table.columns;
  const found = [];
  if (cols.includes("ci_low") && cols.includes("ci_high")) {
    const estimate = ["diff", "difference", "mean"].find((c) => cols.includes(c));
    if (estimate) found.push([estimate, "ci_low", "ci_high"]);
  }
  for (const c of cols) {
    if (cols.includes(`${c}_ci_low`) && cols.includes(`${c}_ci_high`)) found.push([c, `${c}_ci_low`, `${c}_ci_high`]);
  }
  return found;
}

function column(table, name) {
  return table.values[table.columns.indexOf(name)];
}

function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) { hi = lo + 1; lo -= 1; }
  const step0 = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(step0)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/* Estimate ± interval against the first factor, one line per value of the second. */
function factorChart(table, metric, factors, estimate) {
  // (estimate: `diff` or `mean`, with `ci_low` and `ci_high`)
  const e = Report.escape;
  const metrics = column(table, "metric");
  const rows = [];
  for (let i = 0; i < metrics.length; i++) if (metrics[i] === metric) rows.push(i);
  const xs = column(table, factors[0]);
  const group = factors[1] ? column(table, factors[1]) : null;
  const est = column(table, estimate), lo = column(table, "ci_low"), hi = column(table, "ci_high");
  const xValues = [...new Set(rows.map((i) => xs[i]))];
  const numeric = xValues.every((v) => typeof v === "number");
  if (numeric) xValues.sort((a, b) => a - b);
  const ys = rows.flatMap((i) => [est[i], lo[i], hi[i]]).filter((v) => v !== null);
  if (!ys.length) return `<p class="muted">no point defines ${e(metric)}</p>`;
  const W = 760, H = 320, L = 80, R = 20, T = 20, B = 50;
  const xmin = numeric ? xValues[0] : 0, xmax = numeric ? xValues[xValues.length - 1] : xValues.length - 1;
  const px = (v) => {
    const k = numeric ? v : xValues.indexOf(v);
    return xmax > xmin ? L + ((k - xmin) / (xmax - xmin)) * (W - L - R) : (L + W - R) / 2;
  };
  const yt = niceTicks(Math.min(...ys), Math.max(...ys));
  const ymin = Math.min(yt[0], ...ys), ymax = Math.max(yt[yt.length - 1], ...ys);
  const py = (v) => T + (1 - (v - ymin) / (ymax - ymin || 1)) * (H - T - B);
  const parts = [`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${e(metric)}">`];
  for (const t of yt) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${L - 6}" y="${py(t) + 4}" text-anchor="end" font-size="12">${Report.number(t)}</text>`);
  }
  for (const v of xValues) {
    parts.push(`<text x="${px(v)}" y="${H - B + 18}" text-anchor="middle" font-size="12">${e(v)}</text>`);
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle" font-size="13">${e(factors[0])}</text>`);
  const groups = group ? [...new Set(rows.map((i) => group[i]))] : [null];
  groups.forEach((g, k) => {
    const colour = Report.palette[k % Report.palette.length];
    const mine = rows.filter((i) => g === null || group[i] === g).sort((a, b) => xValues.indexOf(xs[a]) - xValues.indexOf(xs[b]));
    const pts = mine.filter((i) => est[i] !== null).map((i) => `${px(xs[i])},${py(est[i])}`);
    parts.push(`<polyline points="${pts.join(" ")}" fill="none" stroke="${colour}" stroke-width="2.5"/>`);
    for (const i of mine) {
      if (est[i] === null) continue;
      if (lo[i] !== null && hi[i] !== null) {
        parts.push(`<line x1="${px(xs[i])}" x2="${px(xs[i])}" y1="${py(lo[i])}" y2="${py(hi[i])}" stroke="${colour}" stroke-width="2"/>`);
      }
      parts.push(`<circle cx="${px(xs[i])}" cy="${py(est[i])}" r="5" fill="${colour}"><title>${e(xs[i])}: ${Report.number(est[i])} [${Report.number(lo[i])}, ${Report.number(hi[i])}]</title></circle>`);
    }
    if (g !== null) parts.push(`<text x="${W - R}" y="${T + 14 * (k + 1)}" text-anchor="end" fill="${colour}" font-size="13">${e(factors[1])} = ${e(g)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

/* One row per metric: the estimate and its interval on the row's own scale, zero marked. */
/* One row per table row: the estimate and its interval on the row's own scale, zero marked. */
function forest(table, rows, [estimate, low, high]) {
  const e = Report.escape;
  const labels = table.columns.filter((c, k) => !table.numeric[k] && c !== "method");
  const label = (i) => labels.map((c) => column(table, c)[i]).join(" · ");
  const est = column(table, estimate), lo = column(table, low), hi = column(table, high);
  const longest = Math.max(10, ...rows.map((i) => label(i).length));
  const left = Math.min(760, 7.4 * longest + 20), rowH = 30, barW = 300, W = left + barW + 200;
  const H = rows.length * rowH + 30;
  const parts = [`<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="estimates">`];
  const note = estimate === "diff" ? "; red: the interval excludes 0" : "";
  parts.push(`<text x="${left + barW / 2}" y="16" text-anchor="middle" font-size="12" fill="#555">${e(estimate)} with 95% interval (each row on its own scale; line: 0${note})</text>`);
  rows.forEach((i, k) => {
    const y = 34 + k * rowH;
    const span = Math.max(Math.abs(lo[i] ?? 0), Math.abs(hi[i] ?? 0), Math.abs(est[i] ?? 0)) || 1;
    const px = (v) => left + barW / 2 + (v / span) * (barW / 2 - 6);
    const excludes = lo[i] !== null && hi[i] !== null && (lo[i] > 0 || hi[i] < 0);
    const colour = excludes && estimate === "diff" ? "#c62828" : "#0072B2";
    parts.push(`<text x="${left - 10}" y="${y + 4}" text-anchor="end" font-size="13">${e(label(i))}</text>`);
    parts.push(`<line x1="${left + barW / 2}" x2="${left + barW / 2}" y1="${y - 10}" y2="${y + 10}" stroke="#999"/>`);
    if (est[i] === null) {
      parts.push(`<text x="${left + barW / 2 + 8}" y="${y + 4}" font-size="12" fill="#555">undefined</text>`);
      return;
    }
    if (lo[i] !== null && hi[i] !== null) parts.push(`<line x1="${px(lo[i])}" x2="${px(hi[i])}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<circle cx="${px(est[i])}" cy="${y}" r="5" fill="${colour}"/>`);
    parts.push(`<text x="${left + barW + 12}" y="${y + 4}" font-size="13">${Report.number(est[i])} [${Report.number(lo[i])}, ${Report.number(hi[i])}]</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

function chartBlock(data, table) {
  const found = intervals(table);
  if (!found.length) return null;
  const hasMetric = table.columns.includes("metric");
  const metrics = hasMetric ? [...new Set(column(table, "metric"))] : [];
  const factors = hasMetric ? data.factors.filter((f) => table.columns.includes(f)) : [];
  const block = Report.el("section", { class: "plot-block", "data-table": table.name });
  const select = Report.el("select", { "aria-label": `${table.name} metric` });
  const which = Report.el("select", { "aria-label": `${table.name} estimate` });
  for (const [name] of found) which.append(Report.el("option", { value: name, text: name }));
  const filter = Report.el("input", { type: "search", placeholder: "filter (e.g. coverage)", "aria-label": "filter metrics" });
  const plot = Report.el("div", { class: "plot" });
  const what = found[0][0] === "diff" ? "difference B − A" : found.map((f) => f[0]).join(", ");
  block.append(Report.el("h2", { text: `${table.name}: ${what} with 95% intervals` }),
    Report.el("div", { class: "table-tools" }, factors.length ? select : null, found.length > 1 ? which : null, filter), plot);
  const n = table.values.length ? table.values[0].length : 0;
  const draw = () => {
    const triple = found.find((f) => f[0] === which.value) || found[0];
    const text = filter.value.trim().toLowerCase();
    if (factors.length) {
      const shown = metrics.filter((m) => !text || m.toLowerCase().includes(text));
      const keep = select.value;
      select.innerHTML = "";
      for (const m of shown) select.append(Report.el("option", { value: m, text: m }));
      if (shown.includes(keep)) select.value = keep;
      plot.innerHTML = select.value ? factorChart(table, select.value, factors, triple[0]) : "";
      return;
    }
    const matches = (i) => !text || table.values.some((col, k) => !table.numeric[k] && String(col[i] ?? "").toLowerCase().includes(text));
    let rows = [...Array(n).keys()].filter(matches);
    if (!text && (triple[0] === "diff" || triple[0] === "difference")) {
      // a comparison or a value study: first the differences whose interval excludes 0
      const lo = column(table, triple[1]), hi = column(table, triple[2]);
      const excluding = rows.filter((i) => lo[i] !== null && hi[i] !== null && (lo[i] > 0 || hi[i] < 0));
      if (excluding.length) rows = excluding;
    }
    plot.innerHTML = forest(table, rows.slice(0, text ? 60 : STAT_ROWS), triple);
  };
  if (factors.length) {
    const preferred = metrics.find((m) => /coverage/.test(m)) || metrics[0];
    for (const m of metrics) select.append(Report.el("option", { value: m, text: m }));
    select.value = preferred;
    select.addEventListener("change", draw);
  }
  which.addEventListener("change", draw);
  filter.addEventListener("input", draw);
  draw();
  return block;
}

function tableBlock(table) {
  const block = Report.el("section", { class: "table-block", "data-table": table.name });
  const filter = Report.el("input", { type: "search", placeholder: "filter rows", "aria-label": `filter ${table.name}` });
  const count = Report.el("span", { class: "muted" });
  const scroll = Report.el("div", { class: "table-scroll" });
  const cut = table.rows > table.values[0]?.length ? ` (first ${table.values[0].length} of ${table.rows} rows; all in ${table.file})` : "";
  block.append(Report.el("h2", { text: `${table.file}${cut}` }), Report.el("div", { class: "table-tools" }, filter, count), scroll);
  const n = table.values.length ? table.values[0].length : 0;
  let order = [...Array(n).keys()];
  const excludesCol = table.columns.indexOf("excludes_zero");
  const render = () => {
    const text = filter.value.trim().toLowerCase();
    const rows = order.filter((r) => !text || table.values.some((col) => String(col[r] ?? "").toLowerCase().includes(text)));
    const head = table.columns.map((c, k) => `<th data-col="${k}">${Report.escape(c)}</th>`).join("");
    const body = rows.slice(0, SHOWN_ROWS).map((r) => {
      const cls = excludesCol >= 0 && table.values[excludesCol][r] === true ? ' class="excludes-zero"' : "";
      return `<tr${cls}>` + table.values.map((col, k) => table.numeric[k]
        ? `<td class="num">${Report.number(col[r], 4)}</td>`
        : `<td>${Report.escape(col[r] ?? "—")}</td>`).join("") + "</tr>";
    }).join("");
    scroll.innerHTML = `<table class="data"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
    count.textContent = `${rows.length} of ${n} rows` + (rows.length > SHOWN_ROWS ? ` (first ${SHOWN_ROWS} shown; filter to narrow)` : "");
  };
  scroll.addEventListener("click", (ev) => {
    const th = ev.target.closest("th[data-col]");
    if (!th) return;
    const col = table.values[Number(th.dataset.col)];
    const down = th.dataset.col === scroll.dataset.sorted;
    order = [...order].sort((a, b) => {
      const x = col[a], y = col[b];
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * (down ? -1 : 1);
    });
    scroll.dataset.sorted = down ? "" : th.dataset.col;
    render();
  });
  filter.addEventListener("input", render);
  render();
  return block;
}

(async function main() {
  try {
    const data = await Report.data;
    document.getElementById("title").textContent = `${data.title} — ${data.analysis}`;
    document.getElementById("subtitle").textContent = `intelsim ${data.analysis} · ${data.directory}`;
    const facts = document.getElementById("facts");
    for (const [k, v] of Object.entries(data.facts)) {
      facts.append(Report.el("div", {}, Report.el("dt", { text: k }), Report.el("dd", { text: v })));
    }
    const charts = document.getElementById("charts");
    for (const table of data.tables) {
      const block = chartBlock(data, table);
      if (block) charts.append(block);
    }
    const tables = document.getElementById("tables");
    for (const table of data.tables) tables.append(tableBlock(table));
    const images = document.getElementById("images");
    for (const image of data.images) {
      const figure = Report.el("figure", {}, Report.el("figcaption", { text: image.name }));
      if (image.svg) figure.insertAdjacentHTML("beforeend", image.svg);
      else figure.append(Report.el("img", { src: `data:image/png;base64,${image.png}`, alt: image.name }));
      images.append(figure);
    }
    if (!data.images.length) images.textContent = "none";
    window.intelsim = { ready: true, data };
  } catch (error) {
    Report.fatal(error);
  }
})();
