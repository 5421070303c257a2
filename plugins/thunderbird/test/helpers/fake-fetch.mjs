// A stub fetch: routes "METHOD /path" to handlers and records every request.
export function createFakeFetch(routes = {}) {
  const requests = [];
  async function fakeFetch(url, init = {}) {
    const u = new URL(url);
    const method = (init.method || "GET").toUpperCase();
    const request = {
      url,
      method,
      path: u.pathname + u.search,
      headers: { ...(init.headers || {}) },
      body: init.body === undefined ? undefined : JSON.parse(init.body),
      init,
    };
    requests.push(request);
    const handler = routes[`${method} ${u.pathname}`] || routes[`${method} ${u.pathname}${u.search}`];
    if (!handler) return new Response("not found", { status: 404 });
    const result = typeof handler === "function" ? await handler(request) : handler;
    if (result instanceof Response) return result;
    if (result instanceof Error) throw result;
    return new Response(JSON.stringify(result), {
      status: 200,
      headers: { "Content-Type": "application/json" },
    });
  }
  fakeFetch.requests = requests;
  return fakeFetch;
}
