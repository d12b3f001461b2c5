// The preview page: one sandboxed frame, a header that reads /api/issue/<slug>, and a
// long-poll on /api/wait that reloads the frame when this issue's build changes.
// Width, views and mode live in the URL hash (and sessionStorage), scroll in sessionStorage,
// so a reload of the frame or of the whole page keeps them.
(function () {
  "use strict";
  const slug = decodeURIComponent(location.pathname.split("/")[2] || "");
  const $ = (id) => document.getElementById(id);
  const frame = $("frame");
  const storeKey = "newsletter-preview:" + slug;
  const VIEWS = ["dark", "nostyles", "imagesoff"];
  const MODES = ["email", "text", "source"];

  let ui = { width: 1024, views: [], mode: "email" };
  let shownVersion = -1;
  let summary = null;
  // The scroll position a reload of the whole page left in sessionStorage, until the first
  // frame is in and it has been restored: the page starts at 0 (and the browser's own restore
  // is cut short by the still empty page), so saving scrollY before then would lose it.
  let pendingScroll = null;

  // ---- state in the hash and sessionStorage --------------------------------------------
  function readState() {
    let saved = {};
    try { saved = JSON.parse(sessionStorage.getItem(storeKey) || "{}"); } catch (e) { saved = {}; }
    const hash = new URLSearchParams(location.hash.slice(1));
    const width = parseInt(hash.get("w") || saved.width || "1024", 10);
    ui.width = clampWidth(width);
    const views = hash.has("v") ? hash.get("v").split(",") : (saved.views || []);
    ui.views = views.filter((v) => VIEWS.includes(v));
    const mode = hash.get("m") || saved.mode || "email";
    ui.mode = MODES.includes(mode) ? mode : "email";
  }

  function saveState() {
    const hash = new URLSearchParams();
    hash.set("w", String(ui.width));
    if (ui.views.length) hash.set("v", ui.views.join(","));
    if (ui.mode !== "email") hash.set("m", ui.mode);
    history.replaceState(null, "", "#" + hash.toString());
    const scroll = pendingScroll === null ? window.scrollY : pendingScroll;
    const saved = { width: ui.width, views: ui.views, mode: ui.mode, scroll: scroll };
    sessionStorage.setItem(storeKey, JSON.stringify(saved));
  }

  function savedScroll() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || "{}").scroll || 0; } catch (e) { return 0; }
  }

  function clampWidth(w) {
    if (!Number.isFinite(w)) return 1024;
    return Math.max(200, Math.min(2560, Math.round(w)));
  }

  // ---- the frame ----------------------------------------------------------------------------
  function frameUrl() {
    const base = "/email/" + encodeURIComponent(slug) + "/";
    const v = "v=" + (summary ? summary.version : 0);
    if (ui.mode === "text") return base + "text.html?" + v;
    if (ui.mode === "source") return base + "source.html?" + v;
    return base + "view.html?views=" + ui.views.join(",") + "&" + v;
  }

  function fitHeight() {
    const doc = frame.contentDocument;
    if (!doc || !doc.documentElement) return;
    const h = Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
    const min = Math.max(200, window.innerHeight - frame.getBoundingClientRect().top - window.scrollY - 24);
    const want = Math.max(h, min);
    if (Math.abs(frame.offsetHeight - want) > 1) frame.style.height = want + "px";
  }

  function loadFrame() {
    if (!summary || !summary.built) return;
    const scroll = pendingScroll === null ? window.scrollY : pendingScroll;
    shownVersion = summary.version;
    frame.dataset.version = String(summary.version);
    frame.onload = function () {
      fitHeight();
      window.scrollTo(0, scroll);
      pendingScroll = null;
      frame.dataset.loaded = String(shownVersion);
    };
    frame.src = frameUrl();
  }

  function applyLayout() {
    frame.style.width = ui.width + "px";
    $("width").value = String(ui.width);
    $("btn-desktop").setAttribute("aria-pressed", String(ui.width === 1024));
    $("btn-mobile").setAttribute("aria-pressed", String(ui.width === 375));
    document.querySelectorAll("[data-view]").forEach((b) => {
      b.setAttribute("aria-pressed", String(ui.views.includes(b.dataset.view)));
      b.disabled = ui.mode !== "email";
    });
    document.querySelectorAll("[data-mode]").forEach((b) => {
      b.setAttribute("aria-pressed", String(ui.mode === b.dataset.mode));
    });
    $("stage").classList.toggle("dark", ui.views.includes("dark") && ui.mode === "email");
    saveState();
  }

  // ---- header -----------------------------------------------------------------------------
  function kb(bytes) { return (bytes / 1024).toFixed(1) + " KB"; }

  function renderSummary() {
    const s = summary;
    document.title = (s.subject || s.slug) + " \u2013 preview";
    $("file").textContent = s.file;
    $("from").textContent = s.sender ? (s.sender.name ? s.sender.name + " <" + s.sender.email + ">" : s.sender.email) : "";
    $("subject").textContent = s.subject || "(not built yet)";
    $("preheader").textContent = s.preheader || "";
    if (s.built) {
      const over = s.html_bytes > s.limit_bytes;
      $("size").textContent = "HTML " + kb(s.html_bytes) + " of " + Math.round(s.limit_bytes / 1024) + " KB" + (over ? " \u2013 Gmail will clip it" : "");
      $("size").classList.toggle("over", over);
      $("size-meter").value = Math.min(1, s.html_bytes / s.limit_bytes);
      $("words").textContent = s.words.toLocaleString("en") + " words";
      $("reading").textContent = s.reading_minutes + " min read";
    }
    renderFindings(s);
    const errors = $("errors");
    errors.replaceChildren();
    for (const e of s.errors) {
      const li = document.createElement("li");
      const where = document.createElement("code");
      where.textContent = e.file + (e.line ? ":" + e.line : "");
      li.append(where, ": " + e.message + (e.hint ? " (" + e.hint + ")" : ""));
      errors.append(li);
    }
    $("overlay").hidden = s.errors.length === 0;
    $("empty").hidden = s.built;
    frame.hidden = !s.built;
    const eml = $("eml");
    eml.hidden = !s.has_eml;
    eml.href = "/email/" + encodeURIComponent(slug) + "/email.eml";
    eml.setAttribute("download", slug + ".eml");
  }

  function rank(severity) {
    const i = ["error", "warning", "info"].indexOf((severity || "info").toLowerCase());
    return i === -1 ? 3 : i;
  }

  function renderFindings(s) {
    const items = [];
    for (const w of s.settings_warnings || []) {
      items.push({ severity: "warning", rule: "settings", message: w, file: "", line: 0 });
    }
    for (const w of s.warnings || []) items.push({ severity: "warning", rule: "build", message: w, file: "", line: 0 });
    for (const f of s.findings || []) items.push(f);
    items.sort((a, b) => rank(a.severity) - rank(b.severity));
    const list = $("findings");
    list.replaceChildren();
    for (const f of items) {
      const li = document.createElement("li");
      li.className = "sev-" + (f.severity || "info").toLowerCase();
      const tag = document.createElement("span");
      tag.className = "sev";
      tag.textContent = (f.severity || "info") + (f.rule ? " \u00b7 " + f.rule : "");
      const where = f.file ? f.file + (f.line ? ":" + f.line : "") + ": " : "";
      li.append(tag, " " + where + f.message);
      list.append(li);
    }
    $("findings-box").hidden = items.length === 0;
    const counts = {};
    for (const f of items) { const k = (f.severity || "info").toLowerCase(); counts[k] = (counts[k] || 0) + 1; }
    $("findings-summary").textContent = "Check: " + Object.keys(counts).sort((a, b) => rank(a) - rank(b))
      .map((k) => counts[k] + " " + k + (counts[k] === 1 || k === "info" ? "" : "s")).join(", ");
  }

  function refresh(issue) {
    const status = $("status");
    if (!issue) {
      status.textContent = "This issue's file is gone.";
      status.dataset.gone = "1";
      return;
    }
    if (status.dataset.gone) { status.textContent = ""; delete status.dataset.gone; }  // it is back
    summary = issue;
    // Reload the frame first: it is what the editor is waiting for.
    if (summary.built && summary.version !== shownVersion) loadFrame();
    renderSummary();
  }

  async function poll() {
    let epoch = -1;
    for (;;) {
      try {
        const r = await fetch("/api/wait?epoch=" + epoch + "&slug=" + encodeURIComponent(slug), { cache: "no-store" });
        const j = await r.json();
        if (j.epoch !== epoch) {
          epoch = j.epoch;
          refresh(j.issue);
        }
        if ($("status").dataset.offline) { $("status").textContent = ""; delete $("status").dataset.offline; }
      } catch (e) {
        $("status").textContent = "Preview server not reachable; retrying\u2026";
        $("status").dataset.offline = "1";
        await new Promise((ok) => setTimeout(ok, 1000));
      }
    }
  }

  // ---- copying ------------------------------------------------------------------------------
  function copyWithTextarea(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    if (!ok) throw new Error("copy refused");
  }

  async function copy(name, label) {
    try {
      const r = await fetch("/email/" + encodeURIComponent(slug) + "/" + name, { cache: "no-store" });
      if (!r.ok) throw new Error("not built yet");
      const text = await r.text();
      try {
        await navigator.clipboard.writeText(text);
      } catch (e) {
        copyWithTextarea(text);
      }
      $("status").textContent = "Copied " + label + " (" + new Blob([text]).size.toLocaleString("en") + " bytes)";
    } catch (e) {
      $("status").textContent = "Could not copy " + label + ": " + e.message;
    }
  }

  // ---- wiring -------------------------------------------------------------------------------
  function setWidth(w) { ui.width = clampWidth(w); applyLayout(); setTimeout(fitHeight, 50); }

  $("btn-desktop").addEventListener("click", () => setWidth(1024));
  $("btn-mobile").addEventListener("click", () => setWidth(375));
  $("width").addEventListener("change", (e) => setWidth(parseInt(e.target.value, 10)));
  document.querySelectorAll("[data-view]").forEach((b) => b.addEventListener("click", () => {
    const v = b.dataset.view;
    ui.views = ui.views.includes(v) ? ui.views.filter((x) => x !== v) : ui.views.concat([v]);
    applyLayout();
    loadFrame();
  }));
  document.querySelectorAll("[data-mode]").forEach((b) => b.addEventListener("click", () => {
    ui.mode = ui.mode === b.dataset.mode ? "email" : b.dataset.mode;
    applyLayout();
    loadFrame();
  }));
  $("copy-html").addEventListener("click", () => copy("email.html", "HTML"));
  $("copy-text").addEventListener("click", () => copy("email.txt", "text"));
  let scrollTimer = 0;
  window.addEventListener("scroll", () => {
    clearTimeout(scrollTimer);
    scrollTimer = setTimeout(saveState, 100);
  });
  window.addEventListener("resize", fitHeight);
  // Late images and web fonts change the height after load.
  setInterval(fitHeight, 500);

  // The position is restored by loadFrame once the frame is in, not by the browser (which
  // would do it early, against a page not yet tall enough, and be clamped).
  history.scrollRestoration = "manual";
  readState();
  pendingScroll = savedScroll();
  applyLayout();
  poll();
})();
