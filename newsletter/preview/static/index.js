// The index reloads itself when anything is rebuilt (issues added, removed, renamed or fixed).
(async function () {
  let epoch = -1;
  for (;;) {
    try {
      const r = await fetch("/api/wait?epoch=" + epoch, { cache: "no-store" });
      const j = await r.json();
      if (epoch !== -1 && j.epoch !== epoch) { location.reload(); return; }
      epoch = j.epoch;
    } catch (e) {
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
})();
