// The waddington run viewer: plain JavaScript and canvas, no libraries, no network.
// Data: a metadata document (JSON) and zlib-compressed arrays ("blobs"), either embedded in the
// page (<script id="wv-meta"> and <script id="wv-blob-N">, base64) or, in `waddington view
// --serve`, fetched from the local server (data.json, blob/N). docs/viewer.md describes both.
"use strict";

(function () {
  const TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const TAB10_RGB = TAB10.map(hexRgb);
  // RdBu reversed: −1 blue, 0 white, +1 red.
  const RDBU = [[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
    [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31]];
  const FONT = '12px "DejaVu Sans", "Liberation Sans", Arial, sans-serif';
  const FONT_SMALL = '11px "DejaVu Sans", "Liberation Sans", Arial, sans-serif';
  const DPR = Math.min(window.devicePixelRatio || 1, 2);

  const api = { ready: false, stats: { drawn: 0, drawMs: 0, advanced: 0 } };
  window.waddingtonViewer = api;
  const $ = (id) => document.getElementById(id);

  function hexRgb(h) {
    return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
  }
  function rgba(rgb, a) { return `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${a})`; }

  // ---------- decoding ----------

  function base64Bytes(text) {
    if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text.trim());
    const bin = atob(text.trim());
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  async function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  async function blobBytes(source, i) {
    if (source.embedded) {
      const el = $("wv-blob-" + i);
      if (!el) throw new Error(`blob ${i} is missing from the page`);
      return inflate(base64Bytes(el.textContent));
    }
    const r = await fetch("blob/" + i);
    if (!r.ok) throw new Error(`blob/${i}: HTTP ${r.status}`);
    return inflate(new Uint8Array(await r.arrayBuffer()));
  }

  const SIZES = { u8: 1, f32: 4, i32: 4 };

  // An array of the metadata decoded: {data, shape, lo, hi} with data a typed array.
  function decodeArray(name, info, bytes) {
    const n = info.shape.reduce((a, b) => a * b, 1);
    const size = SIZES[info.dtype];
    if (!size) throw new Error(`${name}: unknown dtype ${info.dtype}`);
    if (bytes.length !== n * size) {
      throw new Error(`${name}: expected ${n * size} bytes for shape [${info.shape}], got ${bytes.length}`);
    }
    let data;
    if (info.dtype === "u8") {
      data = bytes;
      if (info.delta) {
        const frame = info.shape.slice(1).reduce((a, b) => a * b, 1);
        for (let i = frame; i < n; i++) data[i] = (data[i] + data[i - frame]) & 255;
      }
    } else if (info.dtype === "f32") {
      data = new Float32Array(bytes.buffer, bytes.byteOffset, n);
    } else {
      data = new Int32Array(bytes.buffer, bytes.byteOffset, n);
    }
    return { data, shape: info.shape, lo: info.lo, hi: info.hi };
  }

  async function loadAll() {
    const metaEl = $("wv-meta");
    let meta;
    const source = { embedded: !!metaEl };
    if (metaEl) {
      meta = JSON.parse(metaEl.textContent);
    } else {
      const r = await fetch("data.json");
      if (!r.ok) throw new Error(`data.json: HTTP ${r.status}`);
      meta = await r.json();
    }
    if (meta.format !== "waddington-view 1") throw new Error(`unknown data format ${meta.format}`);
    const names = Object.keys(meta.arrays).filter((k) => meta.arrays[k]);
    const decoded = await Promise.all(names.map(async (k) => {
      const bytes = await blobBytes(source, meta.arrays[k].blob);
      return decodeArray(k, meta.arrays[k], bytes);
    }));
    const arrays = {};
    names.forEach((k, i) => { arrays[k] = decoded[i]; });
    return { meta, arrays };
  }

  // ---------- colour ----------

  function rdbu(v) {
    const t = Math.max(0, Math.min(1, (v + 1) / 2)) * (RDBU.length - 1);
    const i = Math.min(RDBU.length - 2, Math.floor(t));
    const f = t - i;
    const a = RDBU[i], b = RDBU[i + 1];
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
  }

  // A 256-entry RGBA lookup table (as one Uint32 per entry) for bytes over [lo, hi].
  function byteLut(lo, hi) {
    const lut = new Uint32Array(256);
    for (let q = 0; q < 256; q++) {
      const c = rdbu(lo + (hi - lo) * q / 255);
      lut[q] = (255 << 24) | (Math.round(c[2]) << 16) | (Math.round(c[1]) << 8) | Math.round(c[0]);
    }
    return lut;
  }

  // ---------- canvas helpers ----------

  function setup(canvas, w, h) {
    canvas.style.width = w + "px";
    canvas.style.height = h + "px";
    canvas.width = Math.round(w * DPR);
    canvas.height = Math.round(h * DPR);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
    return ctx;
  }

  function offscreen(w, h) {
    const c = document.createElement("canvas");
    c.width = Math.round(w * DPR);
    c.height = Math.round(h * DPR);
    const ctx = c.getContext("2d");
    ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
    return { canvas: c, ctx };
  }

  function niceTicks(lo, hi, count) {
    const span = hi - lo;
    if (!(span > 0)) return [lo];
    const raw = span / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    return out;
  }

  function fmt(v) {
    if (Math.abs(v) >= 1000) return v.toFixed(0);
    if (Math.abs(v) >= 10) return String(+v.toFixed(1));
    return String(+v.toFixed(2));
  }

  // Axes with ticks and labels in the box {x, y, w, h} (no y ticks when ylabel is null); returns
  // the scales.
  function axes(ctx, box, xr, yr, xlabel, ylabel) {
    const sx = (v) => box.x + (v - xr[0]) / (xr[1] - xr[0]) * box.w;
    const sy = (v) => box.y + box.h - (v - yr[0]) / (yr[1] - yr[0]) * box.h;
    ctx.save();
    ctx.strokeStyle = "#e6e8ec";
    ctx.lineWidth = 1;
    ctx.font = FONT_SMALL;
    ctx.fillStyle = "#333";
    const xt = niceTicks(xr[0], xr[1], Math.max(2, Math.floor(box.w / 70)));
    const yt = ylabel === null ? [] : niceTicks(yr[0], yr[1], Math.max(2, Math.floor(box.h / 45)));
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of xt) {
      const x = Math.round(sx(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, box.y); ctx.lineTo(x, box.y + box.h); ctx.stroke();
      ctx.fillText(fmt(v), x, box.y + box.h + 4);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of yt) {
      const y = Math.round(sy(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(box.x, y); ctx.lineTo(box.x + box.w, y); ctx.stroke();
      ctx.fillText(fmt(v), box.x - 5, y);
    }
    ctx.strokeStyle = "#555";
    ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.w, box.h);
    ctx.font = FONT;
    ctx.fillStyle = "#111";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(xlabel, box.x + box.w / 2, box.y + box.h + 34);
    if (ylabel === null) { ctx.restore(); return { sx, sy }; }
    ctx.save();
    ctx.translate(box.x - 40, box.y + box.h / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "top";
    ctx.fillText(ylabel, 0, -4);
    ctx.restore();
    ctx.restore();
    return { sx, sy };
  }

  function padRange(lo, hi, f) {
    if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
    const p = (hi - lo) * f;
    return [lo - p, hi + p];
  }

  // ---------- the viewer ----------

  function Viewer(meta, arrays) {
    const E = meta.epochs.length, K = meta.memories, D = meta.pixels, C = meta.classes, S = meta.side;
    const mem = arrays.memories, lab = arrays.labels, alpha = arrays.alpha_class.data;
    const clade = arrays.clade.data, nodeImg = arrays.node_memory_end;
    const nodes = meta.tree.nodes;
    const st = {
      frame: 0, playing: false, fps: 20, trail: 20, loop: false,
      selected: null, members: null, ax: 0, ay: 1, minsize: 3,
    };
    const memLut = byteLut(mem.lo, mem.hi);
    const labLut = byteLut(lab.lo, lab.hi);
    const nodeLut = byteLut(nodeImg.lo, nodeImg.hi);
    const labVal = (q) => lab.lo + (lab.hi - lab.lo) * q / 255;

    // Display order: by final identity, then by the final clade's position in the tree.
    const leafPos = treeLeafOrder();
    const lastClade = (a) => clade[(E - 1) * K + a];
    const order = Array.from({ length: K }, (_, a) => a).sort((a, b) =>
      (meta.fate[a] - meta.fate[b]) || ((leafPos[lastClade(a)] ?? 0) - (leafPos[lastClade(b)] ?? 0)) || (a - b));
    const position = new Int32Array(K);
    order.forEach((a, i) => { position[a] = i; });

    function treeLeafOrder() {
      const pos = {};
      let next = 0;
      const roots = nodes.filter((n) => n.parent === null || n.parent === undefined);
      const visit = (n) => { pos[n.id] = next++; n.children.forEach((c) => visit(nodes[c])); };
      roots.forEach(visit);
      return pos;
    }

    function identityAt(f, a) {
      let best = 0, bv = -1;
      const base = (f * K + a) * C;
      for (let c = 0; c < C; c++) { if (lab.data[base + c] > bv) { bv = lab.data[base + c]; best = c; } }
      return best;
    }

    // ----- header and options -----
    $("title").textContent = meta.title;
    document.title = meta.title;
    const r = meta.run;
    $("runinfo").textContent = [
      `${r.form}`, `K = ${K} memories`, `n = ${r.n}`, `T = ${r.temperature}`, `η = ${r.rate}`,
      `P = ${r.samples} training samples`, `${r.epochs} epochs, ${E} records (epochs ${meta.epochs[0]}–${meta.epochs[E - 1]})`,
      r.train_accuracy === null || r.train_accuracy === undefined ? "" : `training accuracy ${(100 * r.train_accuracy).toFixed(1)} %`,
      `analysis ${meta.analysis}`,
    ].filter((s) => s).join(" · ");
    if (meta.back) { $("back").href = meta.back; $("back").hidden = false; }
    $("encoding").textContent = "Data encoding: " + meta.encoding;
    $("slider").max = String(E - 1);
    st.minsize = K >= 30 ? 3 : 1;
    $("minsize").value = String(st.minsize);

    // Default α classes: the two most common final identities.
    const fateCount = new Array(C).fill(0);
    meta.fate.forEach((f) => { fateCount[f]++; });
    const byCount = Array.from({ length: C }, (_, c) => c).sort((a, b) => fateCount[b] - fateCount[a] || a - b);
    st.ax = byCount[0]; st.ay = byCount[1];
    for (const id of ["alpha-x", "alpha-y"]) {
      const sel = $(id);
      for (let c = 0; c < C; c++) {
        const o = document.createElement("option");
        o.value = String(c); o.textContent = String(c);
        sel.appendChild(o);
      }
    }
    $("alpha-x").value = String(st.ax);
    $("alpha-y").value = String(st.ay);

    // ----- memory grid -----
    const cols = Math.ceil(Math.sqrt(K)), rows = Math.ceil(K / cols);
    const scale = Math.max(1, Math.min(4, Math.floor(580 / (cols * (S + 1)))));
    const tile = S * scale, gap = 2, bar = 4;
    const gridW = cols * (tile + gap) + 34, gridH = rows * (tile + gap + bar) + 6;
    const memCtx = setup($("c-memories"), gridW, gridH);
    const native = document.createElement("canvas");
    native.width = cols * S; native.height = rows * S;
    const nativeCtx = native.getContext("2d");
    const nativeImg = nativeCtx.createImageData(cols * S, rows * S);
    const nativePx = new Uint32Array(nativeImg.data.buffer);
    const tileXY = (i) => [(i % cols) * (tile + gap), Math.floor(i / cols) * (tile + gap + bar)];

    function drawMemories(f) {
      const W = cols * S;
      const base = f * K * D;
      for (let i = 0; i < K; i++) {
        const a = order[i];
        const ox = (i % cols) * S, oy = Math.floor(i / cols) * S;
        const src = base + a * D;
        for (let y = 0; y < S; y++) {
          let p = (oy + y) * W + ox;
          const s0 = src + y * S;
          for (let x = 0; x < S; x++) nativePx[p++] = memLut[mem.data[s0 + x]];
        }
      }
      nativeCtx.putImageData(nativeImg, 0, 0);
      const ctx = memCtx;
      ctx.clearRect(0, 0, gridW, gridH);
      ctx.imageSmoothingEnabled = false;
      for (let i = 0; i < K; i++) {
        const a = order[i];
        const [x, y] = tileXY(i);
        ctx.drawImage(native, (i % cols) * S, Math.floor(i / cols) * S, S, S, x, y, tile, tile);
        ctx.fillStyle = TAB10[meta.fate[a] % 10];
        ctx.fillRect(x, y + tile + 1, tile, bar - 1);
        if (st.members && !st.members.has(a)) {
          ctx.fillStyle = "rgba(255,255,255,0.72)";
          ctx.fillRect(x, y, tile, tile + bar);
        }
      }
      if (st.members) {
        ctx.strokeStyle = "#000";
        ctx.lineWidth = 2;
        for (const a of st.members) {
          const [x, y] = tileXY(position[a]);
          ctx.strokeRect(x + 1, y + 1, tile - 2, tile + bar - 2);
        }
      }
      // colour scale
      const lx = cols * (tile + gap) + 8, ly = 4, lh = Math.min(160, gridH - 30);
      for (let j = 0; j < lh; j++) {
        const c = rdbu(1 - 2 * j / (lh - 1));
        ctx.fillStyle = `rgb(${c[0] | 0},${c[1] | 0},${c[2] | 0})`;
        ctx.fillRect(lx, ly + j, 10, 1);
      }
      ctx.strokeStyle = "#555"; ctx.lineWidth = 1;
      ctx.strokeRect(lx + 0.5, ly + 0.5, 10, lh);
      ctx.fillStyle = "#222"; ctx.font = FONT_SMALL; ctx.textAlign = "left"; ctx.textBaseline = "middle";
      ctx.fillText("+1", lx + 13, ly + 4); ctx.fillText("0", lx + 13, ly + lh / 2); ctx.fillText("−1", lx + 13, ly + lh - 4);
    }

    function memoryAtGrid(px, py) {
      const i = Math.floor(px / (tile + gap)) + cols * Math.floor(py / (tile + gap + bar));
      if (px < 0 || px >= cols * (tile + gap) || i < 0 || i >= K) return null;
      return order[i];
    }

    // ----- label strips -----
    const labW = gridW, labBox = { x: 34, y: 6, w: Math.min(gridW - 50, cols * (tile + gap) - 34), h: 10 * 15 };
    const labH = labBox.y + labBox.h + 40;
    const labCtx = setup($("c-labels"), labW, labH);
    const labNative = document.createElement("canvas");
    labNative.width = K; labNative.height = C;
    const labNativeCtx = labNative.getContext("2d");
    const labImg = labNativeCtx.createImageData(K, C);
    const labPx = new Uint32Array(labImg.data.buffer);

    function drawLabels(f) {
      for (let i = 0; i < K; i++) {
        const a = order[i];
        for (let c = 0; c < C; c++) labPx[c * K + i] = labLut[lab.data[(f * K + a) * C + c]];
      }
      labNativeCtx.putImageData(labImg, 0, 0);
      const ctx = labCtx, b = labBox;
      ctx.clearRect(0, 0, labW, labH);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(labNative, 0, 0, K, C, b.x, b.y, b.w, b.h);
      const cw = b.w / K;
      if (st.members) {
        ctx.fillStyle = "rgba(255,255,255,0.72)";
        for (let i = 0; i < K; i++) if (!st.members.has(order[i])) ctx.fillRect(b.x + i * cw, b.y, cw, b.h);
      }
      for (let i = 0; i < K; i++) {
        ctx.fillStyle = TAB10[meta.fate[order[i]] % 10];
        ctx.fillRect(b.x + i * cw, b.y + b.h + 2, Math.max(1, cw), 5);
      }
      ctx.strokeStyle = "#555"; ctx.lineWidth = 1;
      ctx.strokeRect(b.x + 0.5, b.y + 0.5, b.w, b.h);
      ctx.font = FONT_SMALL; ctx.fillStyle = "#222"; ctx.textAlign = "right"; ctx.textBaseline = "middle";
      for (let c = 0; c < C; c++) ctx.fillText(String(c), b.x - 5, b.y + (c + 0.5) * b.h / C);
      ctx.save(); ctx.translate(10, b.y + b.h / 2); ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center"; ctx.font = FONT; ctx.fillText("class c", 0, 0); ctx.restore();
      ctx.textAlign = "center"; ctx.textBaseline = "top"; ctx.font = FONT;
      ctx.fillText(`memory A (${K}, sorted by final identity; bar = final identity)`, b.x + b.w / 2, b.y + b.h + 12);
    }

    function memoryAtLabels(px, py) {
      const b = labBox;
      if (px < b.x || px >= b.x + b.w || py < b.y || py > b.y + b.h + 8) return null;
      return order[Math.min(K - 1, Math.floor((px - b.x) / (b.w / K)))];
    }

    // ----- recognition -----
    const recW = 440, recH = 290, recBox = { x: 52, y: 10, w: 282, h: recH - 60 };
    const recCtx = setup($("c-recognition"), recW, recH);
    let recBg = null;
    const recClasses = [];
    for (let c = 0; c < C; c++) if (meta.class_sizes[c] > 0) recClasses.push(c);
    const epochRange = [meta.epochs[0], Math.max(meta.epochs[E - 1], meta.epochs[0] + 1)];

    function drawRecognitionBg() {
      const o = offscreen(recW, recH);
      const ctx = o.ctx;
      if (!meta.recognition) {
        ctx.font = FONT; ctx.fillStyle = "#555";
        ctx.fillText("The run folder has no model to evaluate recognition with.", 10, 40);
        recBg = o;
        return;
      }
      const { sx, sy } = axes(ctx, recBox, epochRange, [0, 1.02], "epoch", "fraction recognised");
      ctx.lineWidth = 1.6;
      for (const c of recClasses) {
        ctx.strokeStyle = TAB10[c];
        ctx.beginPath();
        for (let f = 0; f < E; f++) {
          const x = sx(meta.epochs[f]), y = sy(meta.recognition[f][c] / meta.class_sizes[c]);
          if (f === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
        }
        ctx.stroke();
      }
      recBg = o;
      recScales = { sx, sy };
    }
    let recScales = null;

    function drawRecognition(f) {
      const ctx = recCtx;
      ctx.clearRect(0, 0, recW, recH);
      ctx.drawImage(recBg.canvas, 0, 0, recW, recH);
      if (!meta.recognition) return;
      const x = Math.round(recScales.sx(meta.epochs[f])) + 0.5;
      ctx.strokeStyle = "#000"; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, recBox.y); ctx.lineTo(x, recBox.y + recBox.h); ctx.stroke();
      ctx.setLineDash([]);
      // legend with the current counts
      ctx.font = FONT_SMALL; ctx.textAlign = "left"; ctx.textBaseline = "middle";
      const lx = recBox.x + recBox.w + 14;
      ctx.fillStyle = "#222";
      ctx.fillText("class: now", lx, recBox.y + 4);
      recClasses.forEach((c, i) => {
        const y = recBox.y + 20 + i * 17;
        ctx.fillStyle = TAB10[c];
        ctx.fillRect(lx, y - 5, 14, 10);
        ctx.fillStyle = "#222";
        ctx.fillText(`${c}: ${meta.recognition[f][c]}/${meta.class_sizes[c]}`, lx + 19, y);
      });
    }

    // ----- α-plane and UMAP scatter -----
    const scW = 440, scH = 420, scBox = { x: 58, y: 10, w: scW - 72, h: scH - 58 };
    const alphaCtx = setup($("c-alpha"), scW, scH);
    let alphaBg = null, alphaScales = null;

    function alphaAt(f, a, c) { return alpha[(f * K + a) * C + c]; }

    function drawAlphaBg() {
      let xlo = Infinity, xhi = -Infinity, ylo = Infinity, yhi = -Infinity;
      for (let i = 0; i < E * K; i++) {
        const x = alpha[i * C + st.ax], y = alpha[i * C + st.ay];
        if (x < xlo) xlo = x; if (x > xhi) xhi = x; if (y < ylo) ylo = y; if (y > yhi) yhi = y;
      }
      const o = offscreen(scW, scH);
      alphaScales = axes(o.ctx, scBox, padRange(xlo, xhi, 0.05), padRange(ylo, yhi, 0.05),
        `ᾱ of class ${st.ax}`, `ᾱ of class ${st.ay}`);
      alphaBg = o;
    }

    // Trails and points of a scatter: pos(f, a) → [x, y] in data units, frames fs (indices).
    function drawScatter(ctx, bg, scales, W, H, box, framesBack, pos, frameNow) {
      ctx.clearRect(0, 0, W, H);
      ctx.drawImage(bg.canvas, 0, 0, W, H);
      ctx.save();
      ctx.beginPath(); ctx.rect(box.x, box.y, box.w, box.h); ctx.clip();
      const { sx, sy } = scales;
      const first = Math.max(0, frameNow - framesBack);
      if (frameNow > first) {
        ctx.lineWidth = 1.2;
        for (let c = 0; c < C; c++) {
          ctx.strokeStyle = rgba(TAB10_RGB[c], 0.45);
          ctx.beginPath();
          for (let a = 0; a < K; a++) {
            if (meta.fate[a] !== c || (st.members && !st.members.has(a))) continue;
            for (let g = first; g <= frameNow; g++) {
              const p = pos(g, a);
              if (g === first) ctx.moveTo(sx(p[0]), sy(p[1])); else ctx.lineTo(sx(p[0]), sy(p[1]));
            }
          }
          ctx.stroke();
        }
      }
      for (let a = 0; a < K; a++) {
        const p = pos(frameNow, a);
        const on = !st.members || st.members.has(a);
        ctx.beginPath();
        ctx.arc(sx(p[0]), sy(p[1]), on && st.members ? 4.5 : 3.2, 0, 2 * Math.PI);
        ctx.fillStyle = on ? TAB10[meta.fate[a] % 10] : "rgba(170,170,170,0.5)";
        ctx.fill();
        if (on) { ctx.strokeStyle = st.members ? "#000" : "rgba(0,0,0,0.6)"; ctx.lineWidth = st.members ? 1.4 : 0.7; ctx.stroke(); }
      }
      ctx.restore();
    }

    function drawAlpha(f) {
      drawScatter(alphaCtx, alphaBg, alphaScales, scW, scH, scBox, st.trail,
        (g, a) => [alphaAt(g, a, st.ax), alphaAt(g, a, st.ay)], f);
      fateLegend(alphaCtx, scBox);
    }

    function fateLegend(ctx, box) {
      ctx.font = FONT_SMALL; ctx.textBaseline = "middle"; ctx.textAlign = "left";
      const present = [];
      for (let c = 0; c < C; c++) if (fateCount[c] > 0) present.push(c);
      let x = box.x;
      const y = box.y + box.h + 44;
      ctx.fillStyle = "#222";
      ctx.fillText("final identity:", x, y); x += 82;
      for (const c of present) {
        ctx.fillStyle = TAB10[c]; ctx.beginPath(); ctx.arc(x + 4, y, 4, 0, 2 * Math.PI); ctx.fill();
        ctx.fillStyle = "#222"; ctx.fillText(String(c), x + 11, y); x += 26;
      }
    }

    function nearestPoint(f, px, py, scales, pos) {
      let best = null, bd = 49;
      for (let a = 0; a < K; a++) {
        const p = pos(f, a);
        const dx = scales.sx(p[0]) - px, dy = scales.sy(p[1]) - py;
        const d = dx * dx + dy * dy;
        if (d < bd) { bd = d; best = a; }
      }
      return best;
    }

    // UMAP
    const umap = meta.umap && arrays.umap ? arrays.umap.data : null;
    let umapCtx = null, umapBg = null, umapScales = null;
    const umapFrames = meta.umap ? meta.umap.frames : [];
    function umapIndex(f) {
      let lo = 0, hi = umapFrames.length - 1;
      while (lo < hi) { const m = (lo + hi + 1) >> 1; if (umapFrames[m] <= f) lo = m; else hi = m - 1; }
      return lo;
    }
    const umapPos = (g, a) => [umap[(g * K + a) * 2], umap[(g * K + a) * 2 + 1]];
    function drawUmapBg() {
      const samples = arrays.umap_samples.data, ns = samples.length / 2;
      let xlo = Infinity, xhi = -Infinity, ylo = Infinity, yhi = -Infinity;
      const grow = (x, y) => { if (x < xlo) xlo = x; if (x > xhi) xhi = x; if (y < ylo) ylo = y; if (y > yhi) yhi = y; };
      for (let i = 0; i < ns; i++) grow(samples[2 * i], samples[2 * i + 1]);
      for (let i = 0; i < umap.length / 2; i++) grow(umap[2 * i], umap[2 * i + 1]);
      const o = offscreen(scW, scH);
      umapScales = axes(o.ctx, scBox, padRange(xlo, xhi, 0.03), padRange(ylo, yhi, 0.03), "UMAP 1", "UMAP 2");
      const labels = meta.umap.sample_labels;
      o.ctx.save(); o.ctx.beginPath(); o.ctx.rect(scBox.x, scBox.y, scBox.w, scBox.h); o.ctx.clip();
      for (let i = 0; i < ns; i++) {
        o.ctx.fillStyle = labels ? rgba(TAB10_RGB[labels[i] % 10], 0.25) : "rgba(120,120,120,0.25)";
        o.ctx.fillRect(umapScales.sx(samples[2 * i]) - 1, umapScales.sy(samples[2 * i + 1]) - 1, 2, 2);
      }
      o.ctx.restore();
      umapBg = o;
    }
    function drawUmap(f) {
      if (!umap) return;
      const g = umapIndex(f);
      const back = Math.ceil(st.trail / Math.max(1, meta.umap.every));
      drawScatter(umapCtx, umapBg, umapScales, scW, scH, scBox, back, umapPos, g);
      fateLegend(umapCtx, scBox);
      umapCtx.font = FONT_SMALL; umapCtx.fillStyle = "#444"; umapCtx.textAlign = "right"; umapCtx.textBaseline = "top";
      umapCtx.fillText(`UMAP frame: epoch ${meta.epochs[umapFrames[g]]}`, scBox.x + scBox.w - 4, scBox.y + 4);
    }
    if (umap) {
      $("p-umap").hidden = false;
      umapCtx = setup($("c-umap"), scW, scH);
    }

    // ----- split tree -----
    const treeW = Math.max(900, Math.min(1560, document.documentElement.clientWidth - 50));
    let treeH = 360, treeBox = null, treeLayout = null, treeBg = null, treeCtx = null;

    function layoutTree() {
      const shown = nodes.filter((n) => n.size >= st.minsize);
      const shownSet = new Set(shown.map((n) => n.id));
      const y = {};
      let leaves = 0;
      const visit = (n) => {
        const kids = n.children.filter((c) => shownSet.has(c)).map((c) => nodes[c]);
        if (kids.length === 0) { y[n.id] = leaves++; return; }
        kids.forEach(visit);
        y[n.id] = kids.reduce((s, k) => s + y[k.id], 0) / kids.length;
      };
      shown.filter((n) => n.parent === null || n.parent === undefined || !shownSet.has(n.parent)).forEach(visit);
      treeH = Math.max(260, Math.min(620, leaves * 13 + 70));
      treeBox = { x: 20, y: 12, w: treeW - 170, h: treeH - 62 };
      treeCtx = setup($("c-tree"), treeW, treeH);
      const last = meta.epochs[E - 1];
      const xr = [meta.epochs[0], Math.max(last, meta.epochs[0] + 1)];
      const yr = [-0.6, Math.max(leaves - 0.4, 0.6)];
      const o = offscreen(treeW, treeH);
      const sc = axes(o.ctx, treeBox, xr, [0, 1], "epoch", null);
      const yy = (id) => treeBox.y + (y[id] - yr[0]) / (yr[1] - yr[0]) * treeBox.h;
      const segs = shown.map((n) => {
        const x0 = sc.sx(n.epoch_start);
        const x1 = sc.sx(n.split_epoch === null || n.split_epoch === undefined ? last : n.split_epoch);
        return { id: n.id, x0, x1, y: yy(n.id) };
      });
      treeLayout = { segs, sx: sc.sx, yy, shownSet };
      drawTreeInto(o.ctx, null);
      o.ctx.font = FONT_SMALL; o.ctx.textAlign = "left"; o.ctx.textBaseline = "middle";
      for (const s of segs) {
        const n = nodes[s.id];
        if (n.children.some((c) => shownSet.has(c))) continue;
        o.ctx.fillStyle = TAB10[n.end.dominant_label % 10];
        o.ctx.fillText(`${n.end.dominant_label} (${n.size})`, s.x1 + 5, s.y);
      }
      o.ctx.fillStyle = "#555"; o.ctx.textAlign = "left"; o.ctx.textBaseline = "top";
      o.ctx.fillText(`${nodes.length} nodes (${shown.length} of ≥ ${st.minsize} memories shown); τ = ${meta.tree.tolerance}; labels: dominant label (size)`, treeBox.x + 6, treeBox.y + 4);
      treeBg = o;
    }

    // The tree's segments; `only` (a Set of node ids) draws just those, thick and dark.
    function drawTreeInto(ctx, only) {
      const L = treeLayout;
      for (const s of L.segs) {
        if (only && !only.has(s.id)) continue;
        const n = nodes[s.id];
        const w = 1 + 1.4 * Math.log2(n.size);
        ctx.lineCap = "butt";
        if (n.parent !== null && n.parent !== undefined && L.shownSet.has(n.parent)) {
          const p = L.segs.find((t) => t.id === n.parent);
          ctx.strokeStyle = only ? "#000" : "#666"; ctx.lineWidth = only ? 2 : 1.2;
          ctx.beginPath(); ctx.moveTo(s.x0, p.y); ctx.lineTo(s.x0, s.y); ctx.stroke();
        }
        ctx.strokeStyle = only ? "#000" : (n.is_virtual ? "#aaa" : TAB10[n.end.dominant_label % 10]);
        ctx.lineWidth = only ? w + 2 : w;
        ctx.beginPath(); ctx.moveTo(s.x0, s.y); ctx.lineTo(Math.max(s.x1, s.x0 + 2), s.y); ctx.stroke();
      }
    }

    function subtree(id) {
      const out = new Set();
      const visit = (i) => { out.add(i); nodes[i].children.forEach(visit); };
      visit(id);
      return out;
    }

    function drawTree(f) {
      const ctx = treeCtx;
      ctx.clearRect(0, 0, treeW, treeH);
      ctx.drawImage(treeBg.canvas, 0, 0, treeW, treeH);
      if (st.selected !== null) {
        drawTreeInto(ctx, subtree(st.selected));
        const s = treeLayout.segs.find((t) => t.id === st.selected);
        if (s) {
          ctx.fillStyle = "#000";
          ctx.beginPath(); ctx.arc(s.x0, s.y, 4, 0, 2 * Math.PI); ctx.fill();
        }
      }
      const x = Math.round(treeLayout.sx(meta.epochs[f])) + 0.5;
      ctx.strokeStyle = "rgba(0,0,0,0.75)"; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(x, treeBox.y); ctx.lineTo(x, treeBox.y + treeBox.h); ctx.stroke();
      ctx.setLineDash([]);
    }

    function nodeAtTree(px, py) {
      let best = null, bd = 7;
      for (const s of treeLayout.segs) {
        const x1 = Math.max(s.x1, s.x0 + 2);
        if (px < s.x0 - 4 || px > x1 + 4) continue;
        const d = Math.abs(py - s.y);
        if (d < bd) { bd = d; best = s.id; }
      }
      return best;
    }

    // ----- selected clade -----
    const nodeCtx = setup($("c-node"), 4 * S, 4 * S);
    const nodeNative = document.createElement("canvas");
    nodeNative.width = S; nodeNative.height = S;
    function drawNode() {
      const ctx = nodeCtx;
      ctx.clearRect(0, 0, 4 * S, 4 * S);
      if (st.selected === null) {
        ctx.fillStyle = "#f0f1f4"; ctx.fillRect(0, 0, 4 * S, 4 * S);
        ctx.strokeStyle = "#c5cad3"; ctx.strokeRect(0.5, 0.5, 4 * S - 1, 4 * S - 1);
        return;
      }
      const nctx = nodeNative.getContext("2d");
      const img = nctx.createImageData(S, S);
      const px = new Uint32Array(img.data.buffer);
      for (let i = 0; i < D; i++) px[i] = nodeLut[nodeImg.data[st.selected * D + i]];
      nctx.putImageData(img, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(nodeNative, 0, 0, S, S, 0, 0, 4 * S, 4 * S);
      ctx.strokeStyle = "#555"; ctx.strokeRect(0.5, 0.5, 4 * S - 1, 4 * S - 1);
    }

    function nodeText(n) {
      const split = n.split_epoch === null || n.split_epoch === undefined
        ? "a leaf (no split)"
        : `splits at epoch ${n.split_epoch} into ${n.children.map((c) => `${c} (${nodes[c].size})`).join(", ")}`;
      return { split, epochs: `epochs ${n.epoch_start}–${n.epoch_end}` };
    }

    function select(id) {
      st.selected = id;
      st.members = id === null ? null : new Set(nodes[id].members);
      const hc = $("highlight-count");
      if (id === null) {
        hc.textContent = "no clade selected";
        hc.dataset.count = "0"; hc.dataset.node = ""; hc.classList.remove("on");
        $("node-info").textContent = "Click a node of the split tree (or a memory) to select a clade.";
      } else {
        const n = nodes[id];
        hc.textContent = `node ${id}: ${st.members.size} memories highlighted`;
        hc.dataset.count = String(st.members.size); hc.dataset.node = String(id); hc.classList.add("on");
        const t = nodeText(n);
        const info = $("node-info");
        info.textContent = "";
        const lines = [
          ["node", `${id}${n.is_virtual ? " (virtual root)" : ""}`],
          ["memories", String(n.size)],
          ["clade", t.epochs],
          ["fate", t.split],
          ["state at its last epoch", n.end.description],
          ["dominant label", String(n.end.dominant_label)],
        ];
        for (const [k, v] of lines) {
          const div = document.createElement("div");
          const b = document.createElement("b");
          b.textContent = k + ": ";
          div.appendChild(b);
          div.appendChild(document.createTextNode(v));
          info.appendChild(div);
        }
      }
      drawNode();
      draw();
    }

    // ----- drawing and playback -----
    let pending = false;
    function draw() {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => { pending = false; drawNow(); });
    }

    function drawNow() {
      const t0 = performance.now();
      const f = st.frame;
      drawMemories(f);
      drawLabels(f);
      drawRecognition(f);
      drawAlpha(f);
      drawUmap(f);
      drawTree(f);
      counter(f);
      api.stats.drawn++;
      api.stats.drawMs += performance.now() - t0;
    }

    // The frame counter and slider (updated at once; the panels on the next animation frame).
    function counter(f) {
      const fr = $("frame");
      fr.textContent = `frame ${f} / ${E - 1}`;
      fr.dataset.frame = String(f);
      $("epoch").textContent = `epoch ${meta.epochs[f]}`;
      $("slider").value = String(f);
    }

    function setFrame(f) {
      st.frame = Math.max(0, Math.min(E - 1, Math.round(f)));
      counter(st.frame);
      draw();
    }

    let lastT = null, acc = 0;
    function tick(t) {
      if (!st.playing) { lastT = null; return; }
      if (lastT === null) lastT = t;
      let steps;
      if (st.fps === 0) steps = 1; else {
        acc += (t - lastT) / 1000 * st.fps;
        steps = Math.floor(acc);
        acc -= steps;
      }
      lastT = t;
      if (steps > 0) {
        let f = st.frame + steps;
        if (f > E - 1) {
          if (st.loop) f = f % E; else { f = E - 1; pause(); }
        }
        api.stats.advanced += steps;
        st.frame = f;
        drawNow();
      }
      if (st.playing) requestAnimationFrame(tick);
    }

    function play() {
      if (st.playing) return;
      if (st.frame >= E - 1) st.frame = 0;
      st.playing = true; acc = 0; lastT = null;
      $("play").textContent = "❚❚ pause";
      requestAnimationFrame(tick);
    }
    function pause() {
      st.playing = false;
      $("play").textContent = "▶ play";
    }
    const toggle = () => (st.playing ? pause() : play());

    // ----- tooltip -----
    const tip = $("tooltip");
    function showTip(ev, text) {
      if (text === null) { tip.hidden = true; return; }
      tip.textContent = text;
      tip.hidden = false;
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 6) + "px";
      tip.style.top = (ev.clientY + 14) + "px";
    }
    function memoryText(a) {
      const f = st.frame;
      const c = clade[f * K + a];
      const cl = c >= 0 ? `clade ${c} (${nodes[c].size} memories): ${nodes[c].end.description}` : "clade: none (before --start-epoch)";
      const l = identityAt(f, a);
      const lv = labVal(lab.data[(f * K + a) * C + l]);
      return `memory #${a}\nidentity now ${l} (label ${lv.toFixed(2)}), final identity ${meta.fate[a]}\n${cl}`;
    }
    function local(ev) {
      const rct = ev.currentTarget.getBoundingClientRect();
      return [ev.clientX - rct.left, ev.clientY - rct.top];
    }
    function hoverMemory(canvas, find) {
      canvas.addEventListener("mousemove", (ev) => {
        const a = find(...local(ev));
        showTip(ev, a === null ? null : memoryText(a));
      });
      canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
      canvas.addEventListener("click", (ev) => {
        const a = find(...local(ev));
        if (a === null) return;
        const c = clade[st.frame * K + a];
        if (c >= 0) select(c);
      });
    }
    hoverMemory($("c-memories"), memoryAtGrid);
    hoverMemory($("c-labels"), memoryAtLabels);
    hoverMemory($("c-alpha"), (x, y) => nearestPoint(st.frame, x, y, alphaScales,
      (g, a) => [alphaAt(g, a, st.ax), alphaAt(g, a, st.ay)]));
    if (umap) hoverMemory($("c-umap"), (x, y) => nearestPoint(umapIndex(st.frame), x, y, umapScales, umapPos));
    $("c-tree").addEventListener("mousemove", (ev) => {
      const id = nodeAtTree(...local(ev));
      if (id === null) { showTip(ev, null); return; }
      const n = nodes[id], t = nodeText(n);
      showTip(ev, `node ${id}: ${n.size} memories, ${t.epochs}\n${t.split}\nstate: ${n.end.description}\n(click to highlight)`);
    });
    $("c-tree").addEventListener("mouseleave", () => { tip.hidden = true; });
    $("c-tree").addEventListener("click", (ev) => { select(nodeAtTree(...local(ev))); });

    // ----- controls -----
    $("slider").addEventListener("input", () => { pause(); setFrame(+$("slider").value); });
    $("play").addEventListener("click", toggle);
    $("first").addEventListener("click", () => { pause(); setFrame(0); });
    $("last").addEventListener("click", () => { pause(); setFrame(E - 1); });
    $("prev").addEventListener("click", () => { pause(); setFrame(st.frame - 1); });
    $("next").addEventListener("click", () => { pause(); setFrame(st.frame + 1); });
    $("speed").addEventListener("change", () => { st.fps = +$("speed").value; });
    $("trail").addEventListener("change", () => { st.trail = Math.max(0, Math.floor(+$("trail").value || 0)); draw(); });
    $("loop").addEventListener("change", () => { st.loop = $("loop").checked; });
    $("clear").addEventListener("click", () => select(null));
    $("export").addEventListener("click", () => exportPng());
    $("minsize").addEventListener("change", () => {
      st.minsize = Math.max(1, Math.floor(+$("minsize").value || 1));
      layoutTree(); draw();
    });
    for (const [id, key] of [["alpha-x", "ax"], ["alpha-y", "ay"]]) {
      $(id).addEventListener("change", () => { st[key] = +$(id).value; drawAlphaBg(); draw(); });
    }
    // Buttons never take the keyboard focus, so space and the arrows always reach the shortcuts.
    for (const b of document.querySelectorAll("#controls button")) b.addEventListener("mousedown", (ev) => ev.preventDefault());
    const speeds = Array.from($("speed").options).map((o) => +o.value);
    document.addEventListener("keydown", (ev) => {
      const tag = (ev.target && ev.target.tagName) || "";
      if (tag === "INPUT" && ev.target.type !== "range" || tag === "SELECT") return;
      const step = ev.shiftKey ? 10 : 1;
      let handled = true;
      if (ev.key === " ") toggle();
      else if (ev.key === "ArrowRight") { pause(); setFrame(st.frame + step); }
      else if (ev.key === "ArrowLeft") { pause(); setFrame(st.frame - step); }
      else if (ev.key === "Home") { pause(); setFrame(0); }
      else if (ev.key === "End") { pause(); setFrame(E - 1); }
      else if (ev.key === "+" || ev.key === "=" || ev.key === "-") {
        const i = speeds.indexOf(st.fps);
        const j = Math.max(0, Math.min(speeds.length - 1, i + (ev.key === "-" ? -1 : 1)));
        st.fps = speeds[j]; $("speed").value = String(st.fps);
      } else if (ev.key === "Escape") select(null);
      else if (ev.key === "p") exportPng();
      else handled = false;
      if (handled) ev.preventDefault();
    });

    // ----- PNG export: the panels as laid out on the page, with their titles -----
    function composeFrame() {
      const root = $("panels").getBoundingClientRect();
      const head = 54;
      const W = Math.ceil(root.width) + 20, H = Math.ceil(root.height) + head + 10;
      const out = document.createElement("canvas");
      out.width = Math.round(W * DPR); out.height = Math.round(H * DPR);
      const ctx = out.getContext("2d");
      ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
      ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, W, H);
      ctx.fillStyle = "#111"; ctx.font = '600 17px "DejaVu Sans", Arial, sans-serif';
      ctx.textBaseline = "top"; ctx.textAlign = "left";
      ctx.fillText(`${meta.title} — epoch ${meta.epochs[st.frame]} (frame ${st.frame} / ${E - 1})`, 10, 8);
      ctx.font = FONT; ctx.fillStyle = "#444";
      ctx.fillText($("runinfo").textContent.slice(0, 220), 10, 32);
      for (const sec of document.querySelectorAll("#panels .panel")) {
        if (sec.hidden) continue;
        const b = sec.getBoundingClientRect();
        const x = b.left - root.left + 10, y = b.top - root.top + head;
        ctx.strokeStyle = "#d6dae1"; ctx.strokeRect(x + 0.5, y + 0.5, b.width - 1, b.height - 1);
        const h2 = sec.querySelector("h2");
        ctx.fillStyle = "#111"; ctx.font = '600 14px "DejaVu Sans", Arial, sans-serif';
        ctx.fillText(h2.childNodes[0].textContent.trim(), x + 8, y + 7);
        for (const cv of sec.querySelectorAll("canvas")) {
          const c = cv.getBoundingClientRect();
          ctx.drawImage(cv, c.left - root.left + 10, c.top - root.top + head, c.width, c.height);
        }
        const info = sec.querySelector("#node-info");
        if (info) {
          ctx.font = FONT; ctx.fillStyle = "#222";
          const ib = info.getBoundingClientRect();
          let yy = ib.top - root.top + head;
          for (const div of info.childNodes) {
            ctx.fillText((div.textContent || "").slice(0, 60), ib.left - root.left + 10, yy);
            yy += 18;
          }
        }
      }
      return out;
    }

    function exportPng() {
      const out = composeFrame();
      out.toBlob((blob) => {
        if (!blob) { console.error("PNG export failed"); return; }
        const a = $("download");
        if (a.href) URL.revokeObjectURL(a.href);
        a.href = URL.createObjectURL(blob);
        a.download = `${meta.title.split(":")[0].replace(/[^A-Za-z0-9_.-]+/g, "_")}-frame-${String(st.frame).padStart(4, "0")}.png`;
        a.click();
      }, "image/png");
    }

    // ----- start -----
    drawRecognitionBg();
    drawAlphaBg();
    if (umap) drawUmapBg();
    layoutTree();
    drawNode();
    drawNow();

    api.frames = E;
    api.setFrame = (f) => { pause(); st.frame = Math.max(0, Math.min(E - 1, f)); drawNow(); };
    api.frame = () => st.frame;
    api.play = play;
    api.pause = pause;
    api.setSpeed = (fps) => { st.fps = fps; $("speed").value = String(fps); };
    api.select = select;
    api.nodes = nodes;
    api.umapFrames = umapFrames.length;
    api.composeFrame = composeFrame;
    // Page coordinates of a tree node's segment (for tests clicking it), or null when hidden.
    api.treeNodePoint = (id) => {
      const s = treeLayout.segs.find((t) => t.id === id);
      if (!s) return null;
      const rct = $("c-tree").getBoundingClientRect();
      return { x: rct.left + (s.x0 + Math.max(s.x1, s.x0 + 2)) / 2, y: rct.top + s.y };
    };
  }

  function sizesText(meta) {
    if (!meta.blobs) return "";
    const comp = meta.blobs.reduce((s, b) => s + b.bytes, 0), raw = meta.blobs.reduce((s, b) => s + b.raw, 0);
    const mb = (x) => (x / 1048576).toFixed(1) + " MB";
    return `Data: ${mb(comp)} compressed (${mb(raw)} decoded) in ${meta.blobs.length} arrays.`;
  }

  async function start() {
    const t0 = performance.now();
    try {
      const { meta, arrays } = await loadAll();
      api.decodeMs = performance.now() - t0;
      Viewer(meta, arrays);
      $("sizes").textContent = sizesText(meta) + ` Decoded in ${api.decodeMs.toFixed(0)} ms.`;
      $("loading").remove();
      api.loadMs = performance.now();
      api.ready = true;
      document.body.dataset.ready = "1";
    } catch (e) {
      const el = $("loading");
      el.classList.add("error");
      el.textContent = "The viewer could not load its data:\n" + (e && e.stack ? e.stack : e);
      console.error("waddington viewer:", e);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
