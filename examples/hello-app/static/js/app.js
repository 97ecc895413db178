fetch("/demo/api/time")
  .then((r) => r.json())
  .then((j) => { document.getElementById("time").textContent = j.now; })
  .catch(() => {});
