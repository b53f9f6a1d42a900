// Erasure progress: polls the job's status until it is done, then links the certificate.
(function () {
  const box = document.getElementById("erasure-progress");
  if (!box) return;
  function render(p) {
    const bar = document.getElementById("bar");
    bar.max = p.steps_total || 1;
    bar.value = p.steps_done;
    const status = document.getElementById("status");
    status.textContent = p.status;
    status.className = "badge " + (p.status === "done" ? "ok" : p.status === "refused" ? "fail" : "");
    document.getElementById("counts").textContent = `${p.steps_done} of ${p.steps_total} steps`;
    document.getElementById("error").textContent = p.error || "";
    if (p.status === "done" && p.certificate) {
      const holder = document.getElementById("certificate");
      holder.textContent = "";
      const para = document.createElement("p");
      const link = document.createElement("a");
      link.href = box.dataset.certificateUrl;
      link.id = "certificate-link";
      link.textContent = "Download the certificate";
      para.append(link, ` (${p.certificate.rows_changed} rows anonymised or removed).`);
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
