// The import progress page (imports/progress.html): polls the job and renders its counts;
// the mapping page (imports/mapping.html): polls a dry run under way and shows its result.
// A file, not an inline script: the Content-Security-Policy allows only these.
(function () {
  const dry = document.getElementById("dry-run");
  if (!dry || !["pending", "running"].includes(dry.dataset.status)) return;
  async function poll() {
    try {
      const response = await fetch(dry.dataset.statusUrl, {headers: {"Accept": "application/json"}});
      const run = response.ok ? (await response.json()).dry_run : null;
      if (run && (run.status === "done" || run.status === "failed")) {
        window.location.reload();  // the page renders the result and its bad rows
        return;
      }
      if (run) {
        const bar = document.getElementById("dry-run-bar");
        bar.max = run.total || 1;
        bar.value = run.processed;
        // data-counts is the page's translated sentence with {done} and {total}.
        document.getElementById("dry-run-counts").textContent = (dry.dataset.counts || "{done} of {total} rows checked.")
          .replace("{done}", run.processed).replace("{total}", run.total);
      }
    } catch (e) { /* the next poll tries again */ }
    setTimeout(poll, 700);
  }
  poll();
})();
(function () {
  const box = document.getElementById("import-progress");
  if (!box) return;
  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  function render(p) {
    const bar = document.getElementById("bar");
    bar.max = p.total_rows || 1;
    bar.value = p.status === "done" ? bar.max : p.processed_rows;
    const status = document.getElementById("status");
    // Words come translated from the page: data-status-words, data-counts, data-headings.
    const statusWords = JSON.parse(box.dataset.statusWords || "{}");
    status.textContent = statusWords[p.status] || p.status;
    status.className = "badge " + (p.status === "done" ? "ok" : p.status === "failed" ? "fail" : "");
    document.getElementById("counts").textContent =
      (box.dataset.counts || "{done} of {total} rows checked, {imported} imported, {bad} bad.")
        .replace("{done}", p.processed_rows).replace("{total}", p.total_rows)
        .replace("{imported}", p.imported_rows).replace("{bad}", p.bad_rows);
    if (p.errors.length) {
      const headings = JSON.parse(box.dataset.headings || '["Row", "Field", "Problem"]').map((h) => `<th>${esc(h)}</th>`).join("");
      document.getElementById("errors").innerHTML = `<table><thead><tr>${headings}</tr></thead><tbody>` +
        p.errors.map((e) => `<tr><td>${esc(e.row)}</td><td><code>${esc(e.field)}</code></td><td>${esc(e.message)}</td></tr>`).join("") +
        "</tbody></table>";
    }
    return p.status === "done" || p.status === "failed";
  }
  async function poll() {
    try {
      const response = await fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}});
      if (response.ok && render(await response.json())) return;
    } catch (e) { /* the next poll tries again */ }
    setTimeout(poll, 700);
  }
  poll();
})();
