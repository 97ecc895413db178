function handle(req) {
  return {
    status: 200,
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ now: new Date().toISOString(), path: req.path }),
  };
}
