// Erasure progress: polls the job's status until it is done, then links the certificate.
(function () {
  const box = document.getElementById("erasure-progress");
  if (!box) return;
  function render(p) {
    const bar = document.getElementById("bar");
    bar.max = p.steps_total || 1;
    bar.value = p.steps_done;
    const status = document.getElementById("status");
    // Words come translated from the page (data-status-words, data-counts, data-certificate-label, data-rows-changed).
    status.textContent = JSON.parse(box.dataset.statusWords || "{}")[p.status] || p.status;
    status.className = "badge " + (p.status === "done" ? "ok" : p.status === "refused" ? "fail" : "");
    document.getElementById("counts").textContent = (box.dataset.counts || "{done} of {total} steps")
      .replace("{done}", p.steps_done).replace("{total}", p.steps_total);
    document.getElementById("error").textContent = p.error || "";
    if (p.status === "done" && p.certificate) {
      const holder = document.getElementById("certificate");
      holder.textContent = "";
      const para = document.createElement("p");
      const link = document.createElement("a");
      link.href = box.dataset.certificateUrl;
      link.id = "certificate-link";
      link.textContent = box.dataset.certificateLabel || "Download the certificate";
      para.append(link, " " + (box.dataset.rowsChanged || "({n} rows anonymised or removed).").replace("{n}", p.certificate.rows_changed));
      holder.append(para);
    }
    return p.status === "done" || p.status === "refused";
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
