// The strategy page: while activation enrols a large audience, poll its progress and reload
// when it is done (a file, not an inline script: the Content-Security-Policy allows no inline).
(function () {
  const section = document.getElementById("progress");
  if (!section || section.dataset.running !== "true") return;
  const timer = setInterval(async function () {
    const response = await fetch(section.dataset.url, {headers: {"Accept": "application/json"}});
    if (!response.ok) return;
    const body = await response.json();
    document.getElementById("enrol-progress").value = body.progress.done;
    document.getElementById("enrol-progress").max = body.progress.total || 1;
    document.getElementById("enrol-count").textContent = body.progress.done + " / " + body.progress.total;
    if (!body.progress.running) { clearInterval(timer); window.location.reload(); }
  }, 1000);
})();
