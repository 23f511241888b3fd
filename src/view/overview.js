// The sweep overview of `waddington view SWEEP_DIR`: heat maps of max-α and accuracy over the
// grid's first two swept paths (model.n × model.temperature when swept); cells open the points'
// viewer pages. Plain JavaScript and canvas, no network.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const doc = JSON.parse($("wv-overview").textContent);
  const FONT = '12px "DejaVu Sans", "Liberation Sans", Arial, sans-serif';
  const VIRIDIS = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
    [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]];
  const api = { ready: false };
  window.waddingtonOverview = api;

  function viridis(t) {
    t = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
    const i = Math.min(VIRIDIS.length - 2, Math.floor(t)), f = t - i;
    const a = VIRIDIS[i], b = VIRIDIS[i + 1];
    return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * f)).join(",")})`;
  }
  const key = (v) => (v === undefined ? "—" : JSON.stringify(v));
  const label = (v) => (v === undefined ? "—" : typeof v === "string" ? v : String(v));
  function distinct(path) {
    if (!path) return [undefined];
    const vals = [];
    const seen = new Set();
    for (const p of doc.points) {
      const v = p.values[path];
      if (!seen.has(key(v))) { seen.add(key(v)); vals.push(v); }
    }
    return vals.sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));
  }
  const xs = distinct(doc.x_path), ys = distinct(doc.y_path);
  const cells = new Map();
  for (const p of doc.points) {
    const k = key(doc.x_path ? p.values[doc.x_path] : undefined) + "|" + key(doc.y_path ? p.values[doc.y_path] : undefined);
    if (!cells.has(k)) cells.set(k, []);
    cells.get(k).push(p);
  }
  const cellOf = (xi, yi) => cells.get(key(xs[xi]) + "|" + key(ys[yi])) || [];
  const mean = (ps, f) => {
    const v = ps.map(f).filter((x) => x !== null && x !== undefined && isFinite(x));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };

  $("title").textContent = `Sweep ${doc.name}`;
  document.title = `Sweep ${doc.name}`;
  const done = doc.points.filter((p) => p.status === "done").length;
  $("runinfo").textContent = `${doc.dir} · ${doc.points.length} points, ${done} finished · swept: ${doc.paths.join(", ")}`;

  function heatmap(canvasId, value, lohi, fmt) {
    const cw = Math.max(18, Math.min(60, Math.floor(900 / xs.length))), ch = Math.max(22, Math.min(60, Math.floor(360 / ys.length)));
    const box = { x: 90, y: 10, w: cw * xs.length, h: ch * ys.length };
    const W = box.x + box.w + 80, H = box.y + box.h + 56;
    const canvas = $(canvasId);
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    canvas.style.width = W + "px"; canvas.style.height = H + "px";
    canvas.width = W * dpr; canvas.height = H * dpr;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const vals = [];
    for (let yi = 0; yi < ys.length; yi++) for (let xi = 0; xi < xs.length; xi++) vals.push(mean(cellOf(xi, yi), value));
    const finite = vals.filter((v) => v !== null);
    const lo = lohi ? lohi[0] : Math.min(...finite), hi = lohi ? lohi[1] : Math.max(...finite);
    ctx.font = FONT; ctx.textBaseline = "middle";
    for (let yi = 0; yi < ys.length; yi++) {
      for (let xi = 0; xi < xs.length; xi++) {
        const v = vals[yi * xs.length + xi];
        const x = box.x + xi * cw, y = box.y + (ys.length - 1 - yi) * ch;
        ctx.fillStyle = v === null ? "#d9dce2" : viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5);
        ctx.fillRect(x, y, cw - 1, ch - 1);
        if (v !== null && cw >= 34) {
          ctx.fillStyle = hi > lo && (v - lo) / (hi - lo) > 0.6 ? "#000" : "#fff";
          ctx.textAlign = "center";
          ctx.fillText(fmt(v), x + cw / 2, y + ch / 2);
        }
      }
    }
    ctx.fillStyle = "#222"; ctx.textAlign = "center"; ctx.textBaseline = "top";
    const every = Math.ceil(xs.length / Math.floor(box.w / 34));
    xs.forEach((v, i) => { if (i % every === 0) ctx.fillText(label(v), box.x + (i + 0.5) * cw, box.y + box.h + 4); });
    ctx.fillText(doc.x_path || "", box.x + box.w / 2, box.y + box.h + 24);
    ctx.textAlign = "right"; ctx.textBaseline = "middle";
    ys.forEach((v, i) => ctx.fillText(label(v), box.x - 6, box.y + (ys.length - 1 - i + 0.5) * ch));
    ctx.save(); ctx.translate(14, box.y + box.h / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center";
    ctx.fillText(doc.y_path || "", 0, 0); ctx.restore();
    // colour bar
    const bx = box.x + box.w + 14;
    for (let j = 0; j < box.h; j++) { ctx.fillStyle = viridis(1 - j / Math.max(1, box.h - 1)); ctx.fillRect(bx, box.y + j, 12, 1); }
    ctx.fillStyle = "#222"; ctx.textAlign = "left";
    if (finite.length) { ctx.fillText(fmt(hi), bx + 16, box.y + 6); ctx.fillText(fmt(lo), bx + 16, box.y + box.h - 6); }
    const at = (ev) => {
      const r = canvas.getBoundingClientRect();
      const xi = Math.floor((ev.clientX - r.left - box.x) / cw), yi = ys.length - 1 - Math.floor((ev.clientY - r.top - box.y) / ch);
      return xi >= 0 && xi < xs.length && yi >= 0 && yi < ys.length ? cellOf(xi, yi) : [];
    };
    const tip = $("tooltip");
    canvas.addEventListener("mousemove", (ev) => {
      const ps = at(ev);
      if (!ps.length) { tip.hidden = true; return; }
      tip.textContent = ps.map((p) => `${p.id} (${p.status}): ${Object.entries(p.values).map(([k, v]) => `${k}=${label(v)}`).join(", ")}` +
        (p.status === "done" ? `\n  max-α ${fmt(p.max_alpha ?? NaN)}, accuracy ${((p.accuracy ?? NaN) * 100).toFixed(1)} %` : "")).join("\n");
      tip.hidden = false;
      tip.style.left = (ev.clientX + 14) + "px"; tip.style.top = (ev.clientY + 14) + "px";
    });
    canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
    canvas.addEventListener("click", (ev) => {
      const p = at(ev).find((q) => q.page);
      if (p) window.location.href = p.page;
    });
    canvas.style.cursor = "pointer";
  }

  function table() {
    const t = document.createElement("table");
    const head = ["index", "id", ...doc.paths, "status", "max-α", "accuracy", "viewer"];
    const tr = document.createElement("tr");
    head.forEach((h) => { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); });
    t.appendChild(tr);
    for (const p of doc.points) {
      const row = document.createElement("tr");
      const cells = [String(p.index), p.id, ...doc.paths.map((k) => label(p.values[k])), p.status,
        p.max_alpha === null ? "" : p.max_alpha.toFixed(3), p.accuracy === null ? "" : (100 * p.accuracy).toFixed(1) + " %"];
      cells.forEach((c, i) => { const td = document.createElement("td"); td.textContent = c; if (i === 1 || i === doc.paths.length + 2) td.className = "l"; row.appendChild(td); });
      const td = document.createElement("td");
      td.className = "l";
      if (p.page) { const a = document.createElement("a"); a.href = p.page; a.textContent = "open"; td.appendChild(a); }
      row.appendChild(td);
      t.appendChild(row);
    }
    $("table").appendChild(t);
  }

  heatmap("c-maxalpha", (p) => p.max_alpha, null, (v) => v.toFixed(3));
  heatmap("c-accuracy", (p) => p.accuracy, [0, 1], (v) => (100 * v).toFixed(0) + "%");
  table();
  api.ready = true;
  document.body.dataset.ready = "1";
})();
