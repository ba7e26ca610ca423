// The one module that knows the agent API's routes and how it answers errors.
//
// Every error is an ApiError with the HTTP status and the body's `error` (plus `reason` and `options`
// when a channel's window or a handover refuses, and `approval` {rule, team} when a reply needs the approving
// team's approval). ID tokens live an hour: `refresh` (auth.js) renews one that expires within a minute
// before a call, and once more after a 401; a 401 that a refresh cannot cure (no token, a forged one, a
// disabled agent) calls `onUnauthorized`, which sends the agent back to sign-in.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.error || body.message)) || `HTTP ${status}`);
    this.status = status;
    this.reason = body && body.reason;
    this.options = (body && body.options) || [];
    this.errors = (body && body.errors) || [];
    this.approval = (body && body.approval) || null; // approval_required: {rule, team}
    // No such route on this installation: the gateway answers it ({"message"}), not the agent API
    // ({"error"}); API Gateway's REST APIs say 403 "Missing Authentication Token", the local one 404.
    this.noRoute = (status === 404 || status === 403) && Boolean(body) && !("error" in body) && "message" in body;
  }
}

const path = (id) => `/api/inquiries/${encodeURIComponent(id)}`;

const RENEW_WITHIN_S = 60;

export function createApi({ base = "", token, onUnauthorized, refresh = async () => false, secondsLeft = () => Infinity }) {
  async function call(method, url, body, retried = false) {
    if (url.startsWith("/api") && token() && secondsLeft() < RENEW_WITHIN_S) await refresh();
    const headers = { Accept: "application/json" };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(base + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (error) {
      throw new ApiError(0, { error: "network" });
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (error) {
      data = { error: text.slice(0, 200) };
    }
    if (response.status === 401 && url.startsWith("/api")) {
      if (!retried && (await refresh())) return call(method, url, body, true);
      onUnauthorized();
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  const post = (url, body = {}) => call("POST", url, body);

  return {
    queue: (filters = {}) => {
      const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== "" && v != null));
      return call("GET", `/api/inquiries${query.size ? `?${query}` : ""}`);
    },
    inquiry: (id) => call("GET", path(id)),
    claim: (id) => post(`${path(id)}/claim`),
    reply: (id, body) => post(`${path(id)}/replies`, body),
    transfer: (id, body) => post(`${path(id)}/transfer`, body),
    note: (id, text) => post(`${path(id)}/notes`, { text }),
    wait: (id) => post(`${path(id)}/wait`),
    resolve: (id) => post(`${path(id)}/resolve`),
    reopen: (id) => post(`${path(id)}/reopen`),
    csat: (id, body) => post(`${path(id)}/csat`, body),
    handover: (id) => post(`${path(id)}/handover`, { to: "private" }),
    draft: (id, body) => post(`${path(id)}/drafts`, body),
    editDraft: (id, draft, body) => call("PUT", `${path(id)}/drafts/${encodeURIComponent(draft)}`, body),
    approveDraft: (id, draft, body) => post(`${path(id)}/drafts/${encodeURIComponent(draft)}/approve`, body),
    rejectDraft: (id, draft, body) => post(`${path(id)}/drafts/${encodeURIComponent(draft)}/reject`, body),
    agents: () => call("GET", "/api/agents"),
    teams: () => call("GET", "/api/teams"),
    setStatus: (agent, status) => call("PUT", `/api/agents/${encodeURIComponent(agent)}/status`, { status }),
    // the local stack's own routes
    notifications: () => call("GET", "/local/notifications"),
    localAgents: () => call("GET", "/local/agents"),
    localToken: (agentId) => post("/local/token", { agent_id: agentId }),
  };
}
